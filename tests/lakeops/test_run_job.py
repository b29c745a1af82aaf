"""run-job: the EMR step it submits (the shared argument list), the wait, the report it prints,
failure details and log location, dead clusters."""

import json

import pytest
from moto.emr.models import emr_backends

from lake_config.curation_step import curation_step_arguments
from lakeops.emr import new_run_id
from tests.lakeops.fakes import ACCOUNT, FIRST, PARAMS, PREFIX, REGION, SETTINGS, STAGE, client

REPORT = {"rows_read": 12, "rows_written": 9, "rows_rejected": 2, "duplicates_removed": 1, "late_rows": 0,
          "partitions_written": ["2024-01-01", "2024-01-02"]}


def cluster(deployed):
    return emr_backends[ACCOUNT][REGION].clusters[deployed.cluster_id]


def write_report(deployed, dataset, report=None):
    """What the job does at the end of a run: its JSON report under the dataset's report prefix."""
    def write():
        step = cluster(deployed).steps[-1]
        run_id = step.args[step.args.index("--run-id") + 1]
        rules = {rule.id: 0 for rule in dataset.rules}
        rules[dataset.rules[0].id] = 2
        body = {**REPORT, "dataset": dataset.name, "run_id": run_id, "rejected_by_rule": rules, **(report or {})}
        client("s3").put_object(Bucket=deployed.curated_bucket, Key=f"{dataset.report_prefix}{run_id}.json", Body=json.dumps(body))
    return write


@pytest.mark.parametrize("dataset", SETTINGS.datasets, ids=lambda d: d.name)
def test_submits_the_datasets_curation_job_and_prints_its_report(deployed, sim, run_cli, dataset):
    sim.plan_step(state="COMPLETED", on_finish=write_report(deployed, dataset))
    result = run_cli("run-job", "--dataset", dataset.name, "--start-date", "2024-01-01", "--end-date", "2024-01-02")
    assert result.exit_code == 0, result.output
    step = cluster(deployed).steps[-1]
    assert step.jar == "command-runner.jar"
    assert step.action_on_failure == "CONTINUE"
    run_id = step.args[step.args.index("--run-id") + 1]
    assert step.args == curation_step_arguments(
        dataset, script_uri=deployed.script_uri, raw_bucket=deployed.raw_bucket, curated_bucket=deployed.curated_bucket,
        database=deployed.curated_database, run_id=run_id, start_date="2024-01-01", end_date="2024-01-02",
        emr=SETTINGS.emr,
    )
    assert step.name == f"{PREFIX}-curate-{dataset.name} 2024-01-01..2024-01-02"
    report_uri = f"s3://{deployed.curated_bucket}/{dataset.report_prefix}{run_id}.json"
    assert result.stdout == (
        f"Step {step.id} on cluster {deployed.cluster_id}: COMPLETED in 0s\n"
        f"Step logs: s3://{deployed.logs_bucket}/emr/{deployed.cluster_id}/steps/{step.id}/\n"
        f"Curation report of {dataset.name}, run {run_id}: read 12, written 9, rejected 2, duplicates removed 1, late 0\n"
        f"  rejected by {dataset.rules[0].id}: 2\n"
        "  partitions written: 2024-01-01, 2024-01-02\n"
        f"  report: {report_uri}\n"
    )
    assert f"step {step.id}: RUNNING (0s elapsed)" in result.stderr


def test_run_ids_sort_by_time_and_fit_an_s3_key():
    from datetime import datetime, timezone
    run_id = new_run_id(datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc))
    assert run_id.startswith("20260102T030405Z-") and len(run_id) == 23 and run_id.replace("-", "").isalnum()


def test_without_dates_the_job_curates_everything(deployed, sim, run_cli):
    sim.plan_step(state="COMPLETED", on_finish=write_report(deployed, FIRST))
    result = run_cli("run-job", "--dataset", FIRST.name)
    assert result.exit_code == 0, result.output
    assert "--start-date" not in cluster(deployed).steps[-1].args


def test_a_completed_step_without_a_report_fails(deployed, sim, run_cli):
    sim.plan_step(state="COMPLETED")
    result = run_cli("run-job", "--dataset", FIRST.name)
    assert result.exit_code == 1
    step = cluster(deployed).steps[-1]
    run_id = step.args[step.args.index("--run-id") + 1]
    assert (f"error: the step completed but wrote no report at s3://{deployed.curated_bucket}/{FIRST.report_prefix}{run_id}.json; "
            "the job prints it on stdout as 'CURATION_REPORT <json>'") in result.stderr


def test_failed_step_prints_failure_details_and_log_location(deployed, sim, run_cli):
    sim.plan_step(state="FAILED", failure={
        "Reason": "Unknown Error.",
        "Message": "org.apache.spark.SparkException: Job aborted due to stage failure",
        "LogFile": f"s3://{deployed.logs_bucket}/emr/{deployed.cluster_id}/steps/s-X/stderr.gz",
    })
    result = run_cli("run-job", "--dataset", FIRST.name)
    assert result.exit_code == 1
    step_id = cluster(deployed).steps[-1].id
    assert result.stderr.endswith(
        f"error: EMR step {step_id} ({PREFIX}-curate-{FIRST.name}) on cluster {deployed.cluster_id} FAILED\n"
        "  Reason: Unknown Error.\n"
        "  Message: org.apache.spark.SparkException: Job aborted due to stage failure\n"
        f"  Log file: s3://{deployed.logs_bucket}/emr/{deployed.cluster_id}/steps/s-X/stderr.gz\n"
        f"  Step logs: s3://{deployed.logs_bucket}/emr/{deployed.cluster_id}/steps/{step_id}/\n"
    )


@pytest.mark.parametrize("state", ["TERMINATED", "TERMINATED_WITH_ERRORS"])
def test_refuses_a_terminated_cluster_and_says_how_to_get_a_new_one(deployed, sim, run_cli, state):
    cluster(deployed).terminate()
    cluster(deployed).state = state
    result = run_cli("run-job", "--dataset", FIRST.name)
    assert result.exit_code == 3
    assert f"error: EMR cluster {deployed.cluster_id} is {state}" in result.stderr
    assert "The cluster terminates itself when idle." in result.stderr
    assert (f"'cdk destroy {PREFIX}-emr -c stage={STAGE} && make deploy STAGE={STAGE}' "
            f"(it republishes {PARAMS}emr/cluster-id)") in result.stderr
    assert cluster(deployed).steps == []  # nothing was submitted


def test_waits_for_a_starting_cluster_with_the_cluster_running_waiter(deployed, sim, run_cli, monkeypatch):
    from moto.emr.models import ElasticMapReduceBackend
    cluster(deployed).state = "STARTING"
    original = ElasticMapReduceBackend.describe_cluster
    calls = []

    def describe_cluster(backend, cluster_id):
        found = original(backend, cluster_id)
        calls.append(found.state)
        if len(calls) == 3:
            found.state = "WAITING"
        return found

    monkeypatch.setattr(ElasticMapReduceBackend, "describe_cluster", describe_cluster)
    sim.plan_step(state="COMPLETED", on_finish=write_report(deployed, FIRST))
    result = run_cli("run-job", "--dataset", FIRST.name)
    assert result.exit_code == 0, result.output
    assert f"cluster {deployed.cluster_id} is STARTING; waiting" in result.stderr
    assert f"cluster {deployed.cluster_id}: STARTING (0s elapsed)" in result.stderr


def test_step_timeout_exits_4(deployed, sim, run_cli):
    sim.plan_step(state="COMPLETED")
    sim.steps[0].polls = -10**9  # never reaches its final state
    result = run_cli("run-job", "--dataset", FIRST.name, "--timeout", "0.05")
    assert result.exit_code == 4
    step_id = cluster(deployed).steps[-1].id
    assert f"waiting for step {step_id}, still RUNNING" in result.stderr
    assert f"'aws emr describe-step --cluster-id {deployed.cluster_id} --step-id {step_id}'" in result.stderr


@pytest.mark.parametrize("args", [
    [],
    ["--dataset", FIRST.name, "--start-date", "2024-01-01"],
    ["--dataset", FIRST.name, "--start-date", "2024-01-02", "--end-date", "2024-01-01"],
    ["--dataset", FIRST.name, "--start-date", "01/02/2024", "--end-date", "2024-01-03"],
])
def test_bad_arguments_are_usage_errors(run_cli, args):
    assert run_cli("run-job", *args).exit_code == 2


def test_a_cluster_id_that_does_not_exist_means_not_deployed(deployed, sim, run_cli):
    client("ssm").put_parameter(Name=f"{PARAMS}emr/cluster-id", Value="j-GONE", Type="String", Overwrite=True)
    result = run_cli("run-job", "--dataset", FIRST.name)
    assert result.exit_code == 3
    assert f"EMR cluster j-GONE (from {PARAMS}emr/cluster-id) does not exist" in result.stderr
    assert f"cdk destroy {PREFIX}-emr -c stage={STAGE} && make deploy STAGE={STAGE}" in result.stderr
