"""A stage in emr.mode transient: no cluster between runs, so status shows the pipeline, run-job
points to run-pipeline, and smoke-test curates every dataset through one run-pipeline (the run
itself is executed in tests/orchestration)."""
import json

from lakeops import pipeline
from lakeops.errors import EXIT_NOT_DEPLOYED
from tests.lakeops.conftest import SAMPLE_DATES
from tests.lakeops.fakes import ACCOUNT, FIRST, PARAMS, PREFIX, add_partitions, client, create_table
from tests.lakeops.test_run_job import REPORT
from tests.lakeops.test_smoke import COLUMNS, CURATED_ROWS, DATASETS, RAW_ROWS, both_zones, summary

RUN_NAME = "manual-20260102T040000Z"


def make_transient(deployed) -> str:
    ssm = client("ssm")
    ssm.put_parameter(Name=f"{PARAMS}emr/mode", Value="transient", Type="String", Overwrite=True)
    ssm.delete_parameter(Name=f"{PARAMS}emr/cluster-id")
    arn = client("stepfunctions").create_state_machine(
        name=f"{PREFIX}-pipeline", definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/pipeline",
    )["stateMachineArn"]
    ssm.put_parameter(Name=f"{PARAMS}pipeline/state-machine-arn", Value=arn, Type="String", Overwrite=True)
    return arn


def test_status_of_a_transient_stage_shows_its_pipeline_not_a_cluster(deployed, run_cli):
    arn = make_transient(deployed)
    result = run_cli("status")
    assert result.exit_code == 0, result.output
    (row,) = [line for line in result.stdout.splitlines() if line.startswith("curation pipeline")]
    assert arn in row and "ACTIVE, never run" in row
    assert "EMR cluster" not in result.stdout


def test_status_of_a_transient_stage_without_its_pipeline_is_not_deployed(deployed, run_cli):
    make_transient(deployed)
    client("ssm").delete_parameter(Name=f"{PARAMS}pipeline/state-machine-arn")
    result = run_cli("status")
    assert result.exit_code == EXIT_NOT_DEPLOYED and f"pipeline/state-machine-arn (stack {PREFIX}-pipeline)" in result.stdout


def test_run_job_on_a_transient_stage_points_to_run_pipeline(deployed, run_cli):
    make_transient(deployed)
    result = run_cli("run-job", "--dataset", FIRST.name)
    assert result.exit_code == EXIT_NOT_DEPLOYED and "Run 'lakeops run-pipeline'" in result.stderr


def plan_transient(sim, deployed):
    """Raw queries of every dataset come before the one pipeline run, curated ones after it."""
    for dataset in DATASETS:
        sim.plan_crawl(deployed.raw_crawler(dataset.name),
                       on_finish=lambda d=dataset: create_table(d, deployed.raw_database, deployed.raw_bucket, list(SAMPLE_DATES)))
        sim.plan_query(bytes_scanned=31_457_280, columns=COLUMNS, rows=RAW_ROWS)
    for _ in DATASETS:
        sim.plan_query(bytes_scanned=1_048_576, columns=COLUMNS, rows=CURATED_ROWS)


def fake_run(deployed, runs):
    """What a successful run leaves: every dataset's partitions and report, under the run's name."""
    def run_pipeline(lake, name, timeout):
        runs.append(lake.param(pipeline.PIPELINE_PARAM))
        for dataset in DATASETS:
            add_partitions(dataset, deployed.curated_database, deployed.curated_bucket, list(SAMPLE_DATES))
            rules = {rule.id: 0 for rule in dataset.rules} | {dataset.rules[0].id: 2}
            body = {**REPORT, "dataset": dataset.name, "run_id": RUN_NAME, "rejected_by_rule": rules}
            client("s3").put_object(Bucket=deployed.curated_bucket, Key=f"{dataset.report_prefix}{RUN_NAME}.json", Body=json.dumps(body))
        output = {"steps": [{"dataset": d.name, "state": "COMPLETED", "logs": f"s3://logs/emr/j-1/steps/s-{i}/"} for i, d in enumerate(DATASETS)]}
        execution = f"arn:aws:states:us-east-1:{ACCOUNT}:execution:{PREFIX}-pipeline:{RUN_NAME}"
        return pipeline.PipelineReport(execution, "SUCCEEDED", 12.0, output)
    return run_pipeline


def test_smoke_test_of_a_transient_stage_curates_every_dataset_through_one_pipeline_run(
    deployed, sim, run_cli, datasets_dir, monkeypatch
):
    make_transient(deployed)
    plan_transient(sim, deployed)
    runs = []
    monkeypatch.setattr(pipeline, "run_pipeline", fake_run(deployed, runs))
    result = run_cli("smoke-test", datasets=datasets_dir)
    assert result.exit_code == 0, result.output
    steps = summary(result.stdout)
    assert len(runs) == 1 and steps["run-pipeline"][0] == "PASS"
    assert steps["run-pipeline"][1].startswith("SUCCEEDED in 12s: step ")
    assert not [step for step in steps if step.endswith(": run-job")]
    # Every dataset's raw steps come before the run, its curated steps after it.
    order = list(steps)
    for dataset in DATASETS:
        name, query = dataset.name, both_zones(dataset)
        assert order.index(f"{name}: query {query}_raw") < order.index("run-pipeline") < order.index(f"{name}: curated partitions registered")
        assert steps[f"{name}: curated scans fewer bytes"][0] == "PASS"
        assert f"Curation report of {name}, run {RUN_NAME}: read 12, written 9, rejected 2" in result.stdout


def test_a_failed_pipeline_run_skips_every_curated_step(deployed, sim, run_cli, datasets_dir, monkeypatch):
    make_transient(deployed)
    for dataset in DATASETS:
        sim.plan_crawl(deployed.raw_crawler(dataset.name),
                       on_finish=lambda d=dataset: create_table(d, deployed.raw_database, deployed.raw_bucket, list(SAMPLE_DATES)))
        sim.plan_query(bytes_scanned=31_457_280, columns=COLUMNS, rows=RAW_ROWS)

    def failing(lake, name, timeout):
        raise pipeline.LakeOpsError("pipeline run manual-1 FAILED: States.TaskFailed")

    monkeypatch.setattr(pipeline, "run_pipeline", failing)
    result = run_cli("smoke-test", datasets=datasets_dir)
    assert result.exit_code == 1
    steps = summary(result.stdout)
    assert steps["run-pipeline"] == ("FAIL", "pipeline run manual-1 FAILED: States.TaskFailed")
    for dataset in DATASETS:
        assert steps[f"{dataset.name}: curated partitions registered"] == ("SKIPPED", "an earlier step failed")
