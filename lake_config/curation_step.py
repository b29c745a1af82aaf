"""The curation step's wire format: what one dataset's EMR step passes to the curation job.

The job (spark_jobs/curate/curate.py) runs on the EMR nodes with PySpark and the standard
library only, so it cannot read the contract: it gets the dataset as a JSON job spec (`--spec`)
and its locations as arguments. The CLI and the pipeline both build the step here, so the two
can never call the job differently.
"""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from lake_config import spark_sizing
from lake_config.datasets import Dataset
from lake_config.emr_settings import EmrSettings

# AddJobFlowSteps (EMR API Reference): "The string values passed into HadoopJarStep object
# cannot exceed a total of 10240 characters." The curation step carries the job spec there.
HADOOP_JAR_STEP_LIMIT = 10240
STEP_JAR = "command-runner.jar"
# Longest values of the other step arguments: S3 bucket names, Glue database names, run ids.
_LONGEST = {"bucket": 63, "database": 255, "run_id": 255, "script_uri": 200}


def job_spec(dataset: Dataset) -> dict:
    """The declaration the curation job reads (`--spec`), as plain JSON. Numbers are strings so decimal bounds survive JSON exactly. Empty fields are left out (and
    `raw_name` where it is the column's name): the spec travels in the step's arguments, which
    AddJobFlowSteps caps (HADOOP_JAR_STEP_LIMIT)."""

    def plain(value: Any) -> Any:
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, tuple):
            return [plain(v) for v in value]
        return value

    def compact(entry: dict) -> dict:
        return {key: value for key, value in entry.items() if value not in (None, [])}

    return {
        "name": dataset.name,
        "table": dataset.table,
        "format": dataset.raw_format,
        "csv_delimiter": dataset.csv_delimiter,
        "columns": [
            compact({
                "name": c.name,
                "type": c.type,
                "raw_name": c.raw_name if c.raw_name != c.name else None,
                "expression": c.expression,
                "format": c.format,
                "normalize": c.normalize,
                # A derived column's rules are checked only where these columns are valid.
                "sources": list(c.sources),
            })
            for c in dataset.columns
        ],
        "rules": [compact({"id": r.id, "column": r.column, "kind": r.kind, "value": plain(r.value)}) for r in dataset.rules],
        "partition": dataset.partition,
        "event_time": dataset.event_time,
        "key": list(dataset.key),
        "allowed_lateness_days": dataset.allowed_lateness_days,
    }


def curation_step_arguments(
    dataset: Dataset,
    *,
    script_uri: str,
    raw_bucket: str,
    curated_bucket: str,
    database: str,
    run_id: str,
    start_date: str | None = None,
    end_date: str | None = None,
    emr: EmrSettings | None = None,
) -> list[str]:
    """`spark-submit` arguments of one curation step. Every location is derived from the dataset; with
    `emr`, the Spark settings too (its instance types and the dataset's size class)."""
    sizing = spark_sizing.spark_submit_options(emr, dataset.size_class) if emr else []
    args = [
        "spark-submit", "--deploy-mode", "cluster", *sizing, script_uri,
        "--spec", json.dumps(job_spec(dataset), separators=(",", ":"), sort_keys=True),
        "--source", f"s3://{raw_bucket}/{dataset.raw_prefix}",
        "--target", f"s3://{curated_bucket}/{dataset.curated_prefix}",
        "--quarantine", f"s3://{curated_bucket}/{dataset.quarantine_prefix}",
        "--report", f"s3://{curated_bucket}/{dataset.report_prefix}{run_id}.json",
        "--database", database,
        "--run-id", run_id,
    ]
    if start_date:
        args += ["--start-date", start_date]
    if end_date:
        args += ["--end-date", end_date]
    return args


def curation_step_size(dataset: Dataset) -> int:
    """Characters of the curation step's HadoopJarStep (jar and arguments) at its longest:
    the longest bucket names, database name, run id and script URI, with both dates."""
    args = curation_step_arguments(
        dataset,
        script_uri="s3://" + "b" * _LONGEST["bucket"] + "/" + "k" * (_LONGEST["script_uri"] - _LONGEST["bucket"] - 6),
        raw_bucket="b" * _LONGEST["bucket"],
        curated_bucket="b" * _LONGEST["bucket"],
        database="d" * _LONGEST["database"],
        run_id="r" * _LONGEST["run_id"],
        start_date="2026-01-01",
        end_date="2026-01-31",
        emr=EmrSettings(),
    )
    # The Spark settings' values of another fleet differ from the default's by a few digits at most.
    return len(STEP_JAR) + sum(len(arg) for arg in args)
