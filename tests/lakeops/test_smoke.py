"""smoke-test: the whole pipeline for every dataset, its summary table, the curation reports it
prints and what makes it fail."""

import json

from moto.glue.models import glue_backends

from tests.lakeops.conftest import SAMPLE_DATES
from tests.lakeops.fakes import ACCOUNT, FIRST, PARAMS, PREFIX, REGION, SETTINGS, add_partitions, client, create_table
from tests.lakeops.test_run_job import write_report

# The same aggregate: doubles from the raw text, decimals from Parquet, and another row order.
RAW_ROWS = [["2024-01-01", "web", "2", "12.500000000000002"], ["2024-01-02", "store", "1", "7.25"]]
CURATED_ROWS = [["2024-01-02", "store", "1", "7.25"], ["2024-01-01", "web", "2", "12.50"]]
COLUMNS = ["dt", "dimension", "count", "amount"]
# The CLI runs the deployed datasets in name order (SSM has no order).
DATASETS = sorted(SETTINGS.datasets, key=lambda d: d.name)
STEPS = ["upload-sample", "crawl raw", "query {q}_raw", "run-job", "curated partitions registered",
         "query {q}_curated", "same results raw vs curated", "curated scans fewer bytes"]


def both_zones(dataset) -> str:
    return next(q for q in dataset.named_queries if set(q.zones) == {"raw", "curated"}).name


def steps_of(dataset) -> list[str]:
    return [f"{dataset.name}: " + step.format(q=both_zones(dataset)) for step in STEPS]


def plan_pipeline(sim, deployed, raw_bytes=31_457_280, curated_bytes=1_048_576, curated_rows=CURATED_ROWS,
                  job_registers_partitions=True, step_state="COMPLETED", datasets=DATASETS):
    """What a healthy deployment does for each dataset: the crawler makes the raw table, the job
    writes Parquet, registers its partitions and its report, and the curated query scans less."""
    for dataset in datasets:
        def curate(dataset=dataset):
            for dt in SAMPLE_DATES:
                client("s3").put_object(Bucket=deployed.curated_bucket,
                                        Key=f"{dataset.curated_prefix}dt={dt}/part-00000.snappy.parquet", Body=b"PAR1")
            if job_registers_partitions:
                add_partitions(dataset, deployed.curated_database, deployed.curated_bucket, list(SAMPLE_DATES))
            write_report(deployed, dataset)()

        sim.plan_crawl(deployed.raw_crawler(dataset.name),
                       on_finish=lambda d=dataset: create_table(d, deployed.raw_database, deployed.raw_bucket, list(SAMPLE_DATES)))
        sim.plan_query(bytes_scanned=raw_bytes, columns=COLUMNS, rows=RAW_ROWS)
        sim.plan_step(state=step_state, on_finish=curate,
                      failure={"Reason": "Unknown Error.", "Message": "java.lang.OutOfMemoryError"}
                      if step_state == "FAILED" else None)
        if step_state == "COMPLETED":  # a failed job skips its dataset's curated query
            sim.plan_query(bytes_scanned=curated_bytes, columns=COLUMNS, rows=curated_rows)


def summary(stdout: str) -> dict[str, tuple[str, str]]:
    """STEP -> (RESULT, DETAIL) from the summary table (which ends at the first blank line)."""
    lines = stdout.split("\n\n")[0].splitlines()
    header = lines[0]
    result_at, detail_at = header.index("RESULT"), header.index("DETAIL")
    return {line[:result_at].strip(): (line[result_at:detail_at].strip(), line[detail_at:].strip())
            for line in lines[2:] if not line.startswith("Smoke test")}


def test_smoke_test_passes_on_a_healthy_stage_for_every_dataset(deployed, sim, run_cli, datasets_dir):
    plan_pipeline(sim, deployed)
    result = run_cli("smoke-test", datasets=datasets_dir)
    assert result.exit_code == 0, result.output
    steps = summary(result.stdout)
    assert list(steps) == [step for dataset in DATASETS for step in steps_of(dataset)]
    assert all(outcome == "PASS" for outcome, _ in steps.values())
    for dataset in SETTINGS.datasets:
        name, query = dataset.name, both_zones(dataset)
        assert steps[f"{name}: crawl raw"][1] == f"SUCCEEDED; created: {dataset.raw_table}; updated: none"
        assert steps[f"{name}: query {query}_raw"][1] == "2 rows, 31,457,280 bytes (30.0 MiB) scanned, USD 0.00014305"
        assert steps[f"{name}: run-job"][1].endswith("read 12, written 9, rejected 2")
        assert steps[f"{name}: curated partitions registered"][1] == f"{deployed.curated_database}.{dataset.table}, 2 partitions"
        assert steps[f"{name}: same results raw vs curated"][1] == "2 rows match"
        assert steps[f"{name}: curated scans fewer bytes"][1] == "raw 31,457,280 vs curated 1,048,576 bytes (97% less)"
        # each dataset's curation report: read / written / rejected per rule
        assert f"Curation report of {name}, run " in result.stdout
        assert f"  rejected by {dataset.rules[0].id}: 2\n" in result.stdout
    assert result.stdout.endswith("Smoke test PASSED\n")
    # the job registers the curated partitions: no crawler touches the curated zone
    crawled = {name for name, crawler in glue_backends[ACCOUNT][REGION].crawlers.items() if crawler.crawls}
    assert crawled == {deployed.raw_crawler(d.name) for d in SETTINGS.datasets}


def test_one_dataset_only(deployed, sim, run_cli, datasets_dir):
    plan_pipeline(sim, deployed, datasets=[FIRST])
    result = run_cli("smoke-test", "--dataset", FIRST.name, datasets=datasets_dir)
    assert result.exit_code == 0, result.output
    assert list(summary(result.stdout)) == steps_of(FIRST)


def test_smoke_test_fails_when_curated_is_not_cheaper(deployed, sim, run_cli, datasets_dir):
    plan_pipeline(sim, deployed, raw_bytes=1_000_000, curated_bytes=1_000_000, datasets=[FIRST])
    result = run_cli("smoke-test", "--dataset", FIRST.name, datasets=datasets_dir)
    assert result.exit_code == 1
    steps = summary(result.stdout)
    assert steps[f"{FIRST.name}: query {both_zones(FIRST)}_curated"][0] == "PASS"
    assert steps[f"{FIRST.name}: curated scans fewer bytes"] == (
        "FAIL", "the curated query scanned 1,000,000 bytes (976.6 KiB), not less than the raw query's "
                "1,000,000 bytes (976.6 KiB): check that the curated table is Parquet and partitioned by dt")
    assert result.stdout.endswith("Smoke test FAILED\n")
    assert "error: the curated query scanned" in result.stderr


def test_a_failed_step_skips_the_rest_of_its_dataset_only(deployed, sim, run_cli, datasets_dir):
    first, *others = DATASETS
    plan_pipeline(sim, deployed, step_state="FAILED", datasets=[first])
    plan_pipeline(sim, deployed, datasets=others)
    result = run_cli("smoke-test", datasets=datasets_dir)
    assert result.exit_code == 1
    steps = summary(result.stdout)
    assert steps[f"{first.name}: query {both_zones(first)}_raw"][0] == "PASS"
    assert steps[f"{first.name}: run-job"][0] == "FAIL"
    assert steps[f"{first.name}: run-job"][1].startswith("EMR step s-")
    for later in steps_of(first)[4:]:
        assert steps[later] == ("SKIPPED", "an earlier step failed")
    for other in others:
        assert all(steps[step][0] == "PASS" for step in steps_of(other)), "the other datasets still run"
    assert "  Message: java.lang.OutOfMemoryError" in result.stderr
    assert f"  Step logs: s3://{deployed.logs_bucket}/emr/{deployed.cluster_id}/steps/s-" in result.stderr


def test_smoke_test_fails_when_results_differ(deployed, sim, run_cli, datasets_dir):
    plan_pipeline(sim, deployed, curated_rows=[["2024-01-01", "web", "2", "12.52"], CURATED_ROWS[0]], datasets=[FIRST])
    result = run_cli("smoke-test", "--dataset", FIRST.name, datasets=datasets_dir)
    assert result.exit_code == 1
    query = both_zones(FIRST)
    assert summary(result.stdout)[f"{FIRST.name}: same results raw vs curated"] == (
        "FAIL", f"{query}_raw has row ['2024-01-01', 'web', '2', '12.500000000000002'] where "
                f"{query}_curated has ['2024-01-01', 'web', '2', '12.52']")


def test_smoke_test_fails_when_row_counts_differ(deployed, sim, run_cli, datasets_dir):
    plan_pipeline(sim, deployed, curated_rows=CURATED_ROWS[:1], datasets=[FIRST])
    result = run_cli("smoke-test", "--dataset", FIRST.name, datasets=datasets_dir)
    assert result.exit_code == 1
    query = both_zones(FIRST)
    assert summary(result.stdout)[f"{FIRST.name}: same results raw vs curated"] == (
        "FAIL", f"{query}_raw returned 2 rows but {query}_curated 1")


def test_smoke_test_fails_when_the_job_registers_no_partitions(deployed, sim, run_cli, datasets_dir):
    plan_pipeline(sim, deployed, job_registers_partitions=False, datasets=[FIRST])
    result = run_cli("smoke-test", "--dataset", FIRST.name, datasets=datasets_dir)
    assert result.exit_code == 1
    outcome, detail = summary(result.stdout)[f"{FIRST.name}: curated partitions registered"]
    assert outcome == "FAIL"
    assert detail.startswith(f"table {deployed.curated_database}.{FIRST.table} has no partitions after the curation job")


def test_access_denied_upload_fails_the_smoke_test_with_exit_5(deployed, sim, run_cli, datasets_dir):
    client("s3").put_bucket_policy(Bucket=deployed.raw_bucket, Policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
                       "Resource": f"arn:aws:s3:::{deployed.raw_bucket}/*"}]}))
    result = run_cli("smoke-test", "--dataset", FIRST.name, datasets=datasets_dir)
    assert result.exit_code == 5
    steps = summary(result.stdout)
    assert steps[f"{FIRST.name}: upload-sample"][0] == "FAIL"
    assert steps[f"{FIRST.name}: crawl raw"] == ("SKIPPED", "an earlier step failed")


def test_smoke_test_on_an_undeployed_stage_changes_nothing(aws, run_cli, datasets_dir):
    result = run_cli("smoke-test", datasets=datasets_dir)
    assert result.exit_code == 3
    assert "missing 7 parameters" in result.stderr
    assert f"{PARAMS}analytics/workgroup (published by stack {PREFIX}-analytics)" in result.stderr
    assert result.stdout == ""


def test_smoke_test_fails_when_the_crawler_makes_no_table(deployed, sim, run_cli, datasets_dir):
    plan_pipeline(sim, deployed, datasets=[FIRST])
    sim.plan_crawl(deployed.raw_crawler(FIRST.name))  # finishes without creating a table
    result = run_cli("smoke-test", "--dataset", FIRST.name, datasets=datasets_dir)
    assert result.exit_code == 1
    crawler = deployed.raw_crawler(FIRST.name)
    assert summary(result.stdout)[f"{FIRST.name}: crawl raw"] == (
        "FAIL", f"crawler {crawler} SUCCEEDED but database {deployed.raw_database} has no table "
                f"'{FIRST.raw_table}': check the crawler's S3 target (s3://{deployed.raw_bucket}/{FIRST.raw_prefix}) "
                f"and its log stream {crawler} in /aws-glue/crawlers")


def test_output_json_has_every_check_and_each_curation_report(deployed, sim, run_cli, datasets_dir):
    plan_pipeline(sim, deployed, datasets=[FIRST])
    result = run_cli("smoke-test", "--dataset", FIRST.name, "--output", "json", datasets=datasets_dir)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert (document["passed"], document["error"]) == (True, None)
    assert [check["step"] for check in document["checks"]] == steps_of(FIRST)
    assert {check["result"] for check in document["checks"]} == {"PASS"}
    (run,) = document["curation_runs"]
    assert run["dataset"] == FIRST.name and run["step"]["state"] == "COMPLETED"
    assert run["report"]["rejected_by_rule"][FIRST.rules[0].id] == 2
    assert run["report_uri"].startswith(f"s3://{deployed.curated_bucket}/{FIRST.report_prefix}")


def test_output_json_of_a_failed_smoke_test_says_why_and_exits_nonzero(deployed, sim, run_cli, datasets_dir):
    plan_pipeline(sim, deployed, raw_bytes=1_000_000, curated_bytes=1_000_000, datasets=[FIRST])
    result = run_cli("smoke-test", "--dataset", FIRST.name, "--output", "json", datasets=datasets_dir)
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["passed"] is False and document["error"].startswith("the curated query scanned")
    assert document["checks"][-1] == {"step": f"{FIRST.name}: curated scans fewer bytes", "result": "FAIL",
                                      "detail": document["error"].splitlines()[0]}
