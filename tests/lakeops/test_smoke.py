"""smoke-test: the whole pipeline, its summary table and what makes it fail."""

import json

from moto.glue.models import glue_backends

from tests.lakeops.fakes import ACCOUNT, REGION, client, create_sales_table

DATES = ["2024-01-01", "2024-01-02"]
# The same aggregate: doubles from CSV, decimals from Parquet, and another row order.
RAW_ROWS = [["2024-01-01", "web", "2", "12.500000000000002"], ["2024-01-02", "store", "1", "7.25"]]
CURATED_ROWS = [["2024-01-02", "store", "1", "7.25"], ["2024-01-01", "web", "2", "12.50"]]
COLUMNS = ["dt", "channel", "orders", "revenue"]


def plan_pipeline(sim, deployed, raw_bytes=31_457_280, curated_bytes=1_048_576, curated_rows=CURATED_ROWS,
                  job_registers_table=True, step_state="COMPLETED"):
    """What a healthy deployment does: the crawler makes the raw table, the job writes Parquet
    and registers the curated table, and the curated query scans less."""
    def curate():
        for dt in DATES:
            client("s3").put_object(Bucket=deployed.curated_bucket,
                                    Key=f"sales/dt={dt}/part-00000.snappy.parquet", Body=b"PAR1")
        if job_registers_table:
            create_sales_table(deployed.curated_database, deployed.curated_bucket, DATES, parquet=True)

    sim.plan_crawl(deployed.raw_crawler,
                   on_finish=lambda: create_sales_table(deployed.raw_database, deployed.raw_bucket, DATES))
    sim.plan_query(bytes_scanned=raw_bytes, columns=COLUMNS, rows=RAW_ROWS)
    sim.plan_step(state=step_state, on_finish=curate,
                  failure={"Reason": "Unknown Error.", "Message": "java.lang.OutOfMemoryError"}
                  if step_state == "FAILED" else None)
    sim.plan_query(bytes_scanned=curated_bytes, columns=COLUMNS, rows=curated_rows)


def summary(stdout: str) -> dict[str, tuple[str, str]]:
    """STEP -> (RESULT, DETAIL) from the summary table."""
    lines = stdout.splitlines()
    header = lines[0]
    result_at, detail_at = header.index("RESULT"), header.index("DETAIL")
    return {line[:result_at].strip(): (line[result_at:detail_at].strip(), line[detail_at:].strip())
            for line in lines[2:] if not line.startswith("Smoke test")}


def test_smoke_test_passes_on_a_healthy_stage(deployed, sim, run_cli, sample_dir):
    plan_pipeline(sim, deployed)
    result = run_cli("smoke-test", "--sample-dir", str(sample_dir))
    assert result.exit_code == 0, result.output
    steps = summary(result.stdout)
    assert list(steps) == ["upload-sample", "crawl raw", "query revenue_by_day_raw", "run-job",
                           "curated table registered", "query revenue_by_day_curated",
                           "same results raw vs curated", "curated scans fewer bytes"]
    assert all(outcome == "PASS" for outcome, _ in steps.values())
    assert steps["upload-sample"][1] == "2 files, 57 bytes"
    assert steps["crawl raw"][1] == "SUCCEEDED; created: sales; updated: none"
    assert steps["query revenue_by_day_raw"][1] == "2 rows, 31,457,280 bytes (30.0 MiB) scanned, USD 0.00014305"
    assert steps["curated table registered"][1] == f"{deployed.curated_database}.sales, 2 partitions"
    assert steps["same results raw vs curated"][1] == "2 rows match"
    assert steps["curated scans fewer bytes"][1] == "raw 31,457,280 vs curated 1,048,576 bytes (97% less)"
    assert result.stdout.endswith("Smoke test PASSED\n")
    # the job registers the curated table, so the curated crawler is left alone
    assert glue_backends[ACCOUNT][REGION].crawlers[deployed.curated_crawler].crawls == []


def test_smoke_test_fails_when_curated_is_not_cheaper(deployed, sim, run_cli, sample_dir):
    plan_pipeline(sim, deployed, raw_bytes=1_000_000, curated_bytes=1_000_000)
    result = run_cli("smoke-test", "--sample-dir", str(sample_dir))
    assert result.exit_code == 1
    steps = summary(result.stdout)
    assert steps["query revenue_by_day_curated"][0] == "PASS"
    assert steps["curated scans fewer bytes"] == (
        "FAIL", "the curated query scanned 1,000,000 bytes (976.6 KiB), not less than the raw query's "
                "1,000,000 bytes (976.6 KiB): check that the curated table is Parquet and partitioned by dt")
    assert result.stdout.endswith("Smoke test FAILED\n")
    assert "error: the curated query scanned" in result.stderr


def test_a_failed_step_skips_the_rest_and_keeps_its_exit_code(deployed, sim, run_cli, sample_dir):
    plan_pipeline(sim, deployed, step_state="FAILED")
    result = run_cli("smoke-test", "--sample-dir", str(sample_dir))
    assert result.exit_code == 1
    steps = summary(result.stdout)
    assert steps["query revenue_by_day_raw"][0] == "PASS"
    assert steps["run-job"][0] == "FAIL"
    assert steps["run-job"][1].startswith("EMR step s-")
    for later in ("curated table registered", "query revenue_by_day_curated", "same results raw vs curated",
                  "curated scans fewer bytes"):
        assert steps[later] == ("SKIPPED", "an earlier step failed")
    assert "  Message: java.lang.OutOfMemoryError" in result.stderr
    assert f"  Step logs: s3://{deployed.logs_bucket}/emr/{deployed.cluster_id}/steps/s-" in result.stderr


def test_smoke_test_fails_when_results_differ(deployed, sim, run_cli, sample_dir):
    plan_pipeline(sim, deployed, curated_rows=[["2024-01-01", "web", "2", "12.52"], CURATED_ROWS[0]])
    result = run_cli("smoke-test", "--sample-dir", str(sample_dir))
    assert result.exit_code == 1
    assert summary(result.stdout)["same results raw vs curated"] == (
        "FAIL", "revenue_by_day_raw has row ['2024-01-01', 'web', '2', '12.500000000000002'] where "
                "revenue_by_day_curated has ['2024-01-01', 'web', '2', '12.52']")


def test_smoke_test_fails_when_row_counts_differ(deployed, sim, run_cli, sample_dir):
    plan_pipeline(sim, deployed, curated_rows=CURATED_ROWS[:1])
    result = run_cli("smoke-test", "--sample-dir", str(sample_dir))
    assert result.exit_code == 1
    assert summary(result.stdout)["same results raw vs curated"] == (
        "FAIL", "revenue_by_day_raw returned 2 rows but revenue_by_day_curated 1")


def test_smoke_test_fails_when_the_job_does_not_register_the_table(deployed, sim, run_cli, sample_dir):
    plan_pipeline(sim, deployed, job_registers_table=False)
    result = run_cli("smoke-test", "--sample-dir", str(sample_dir))
    assert result.exit_code == 1
    outcome, detail = summary(result.stdout)["curated table registered"]
    assert outcome == "FAIL"
    assert detail.startswith(f"table {deployed.curated_database}.sales does not exist after the curation job")
    assert "'crawl curated' registers it from the files" in result.stderr


def test_access_denied_upload_fails_the_smoke_test_with_exit_5(deployed, sim, run_cli, sample_dir):
    client("s3").put_bucket_policy(Bucket=deployed.raw_bucket, Policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
                       "Resource": f"arn:aws:s3:::{deployed.raw_bucket}/*"}]}))
    result = run_cli("smoke-test", "--sample-dir", str(sample_dir))
    assert result.exit_code == 5
    steps = summary(result.stdout)
    assert steps["upload-sample"][0] == "FAIL"
    assert steps["crawl raw"] == ("SKIPPED", "an earlier step failed")


def test_smoke_test_on_an_undeployed_stage_changes_nothing(aws, run_cli, sample_dir):
    result = run_cli("smoke-test", "--sample-dir", str(sample_dir))
    assert result.exit_code == 3
    assert "missing 8 parameters" in result.stderr
    assert "/datalake/dev/catalog/raw-crawler (published by stack datalake-dev-catalog)" in result.stderr
    assert "curated-crawler" not in result.stderr  # the smoke test does not use it
    assert result.stdout == ""


def test_smoke_test_fails_when_the_crawler_makes_no_sales_table(deployed, sim, run_cli, sample_dir):
    plan_pipeline(sim, deployed)
    sim.plan_crawl(deployed.raw_crawler)  # finishes without creating a table
    result = run_cli("smoke-test", "--sample-dir", str(sample_dir))
    assert result.exit_code == 1
    assert summary(result.stdout)["crawl raw"] == (
        "FAIL", f"crawler {deployed.raw_crawler} SUCCEEDED but database {deployed.raw_database} has no table "
                f"'sales': check the crawler's S3 target (s3://{deployed.raw_bucket}/sales/) and its log stream "
                f"{deployed.raw_crawler} in /aws-glue/crawlers")
