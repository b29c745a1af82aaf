"""The job's file and its interface, without Spark: it runs on the EMR nodes' Python 3.9 with
PySpark and the standard library only, and it takes exactly what curation_step_arguments builds."""
import ast
import json
import sys

import pytest

from lake_config.curation_step import curation_step_arguments, job_spec
from tests.spark_jobs.local_lake import JOB, shipped_datasets

DATASETS = shipped_datasets()


def test_job_file_is_python39_with_pyspark_and_stdlib_only():
    tree = ast.parse(JOB.read_text(), feature_version=(3, 9))
    # "X | Y" annotations parse on 3.9 but fail when the def runs, so check them too.
    annotations = [n.annotation for n in ast.walk(tree) if isinstance(n, ast.arg) and n.annotation]
    annotations += [n.returns for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.returns]
    assert not [a for a in annotations for b in ast.walk(a) if isinstance(b, ast.BinOp) and isinstance(b.op, ast.BitOr)]
    imported = {alias.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for alias in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert imported - set(sys.stdlib_module_names) == {"pyspark"}
    used = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)} | {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert not used & {"udf", "pandas_udf", "rdd", "mapInPandas", "applyInPandas"}, "pure DataFrame API, no Python workers"


@pytest.mark.parametrize("dataset", DATASETS, ids=lambda d: d.name)
def test_job_takes_exactly_the_shared_step_arguments(job, dataset):
    args = curation_step_arguments(dataset, script_uri="s3://a/curate.py", raw_bucket="raw", curated_bucket="cur",
                                   database="lake_curated", run_id="run-7", start_date="2026-01-02", end_date="2026-01-03")
    parsed = job.parse_args(args[4:])
    assert parsed.spec == json.loads(json.dumps(job_spec(dataset)))
    assert (parsed.source, parsed.target) == ("s3://raw/" + dataset.raw_prefix, "s3://cur/" + dataset.curated_prefix)
    assert parsed.quarantine == "s3://cur/" + dataset.quarantine_prefix
    assert parsed.report == "s3://cur/%srun-7.json" % dataset.report_prefix
    assert (parsed.database, parsed.run_id, parsed.start_date, parsed.end_date, parsed.no_catalog) == \
        ("lake_curated", "run-7", "2026-01-02", "2026-01-03", False)


def test_late_events_widen_the_folders_read_not_the_partitions_written(job):
    spec = {"allowed_lateness_days": 2}
    assert job.folder_range(spec, "2026-01-05", "2026-01-06") == ("2026-01-05", "2026-01-08")
    assert job.folder_range(spec, None, None) == (None, None)
    assert job.folder_range({"allowed_lateness_days": 0}, "2026-01-31", "2026-01-31") == ("2026-01-31", "2026-01-31")


def _base(dataset):
    return curation_step_arguments(dataset, script_uri="s3://a/c.py", raw_bucket="r", curated_bucket="c",
                                   database="db", run_id="r1")[4:]


def _with_spec(args, change):
    spec = json.loads(args[args.index("--spec") + 1])
    change(spec)
    args = list(args)
    args[args.index("--spec") + 1] = json.dumps(spec)
    return args


@pytest.mark.parametrize("bad, message", [
    (["--start-date", "2026-13-01"], "expected YYYY-MM-DD"),
    (["--start-date", "2026-01-12", "--end-date", "2026-01-11"], "after --end-date"),
    (["--database", "x; DROP TABLE y"], "--database"),
    (["--run-id", "a/b"], "--run-id"),
])
def test_bad_arguments_are_refused(job, capsys, bad, message):
    with pytest.raises(SystemExit):
        job.parse_args(_base(DATASETS[0]) + bad)
    assert message in capsys.readouterr().err


def test_database_is_required_unless_no_catalog(job, capsys):
    args = _base(DATASETS[0])
    del args[args.index("--database"):args.index("--database") + 2]
    with pytest.raises(SystemExit):
        job.parse_args(args)
    assert "--database is required" in capsys.readouterr().err
    assert job.parse_args(args + ["--no-catalog"]).no_catalog


@pytest.mark.parametrize("change, message", [
    (lambda s: s.update(format="xml"), "format must be one of"),
    (lambda s: s["columns"][0].update(type="varchar"), "unsupported type"),
    (lambda s: s["rules"].append({"id": "x:regex", "column": s["columns"][0]["name"], "kind": "regex", "value": 1}),
     "rule x:regex"),
    (lambda s: s.update(event_time=s["key"][0]), "event_time"),
    (lambda s: s["columns"][0].update(raw_name="dt"), "raw folder key"),
    (lambda s: s.update(table="t; DROP TABLE x"), "expected [A-Za-z0-9_]+"),
])
def test_a_spec_the_job_cannot_apply_is_refused(job, capsys, change, message):
    with pytest.raises(SystemExit):
        job.parse_args(_with_spec(_base(DATASETS[0]), change))
    assert message in capsys.readouterr().err
