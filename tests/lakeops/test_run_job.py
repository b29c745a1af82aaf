"""run-job: the EMR step it submits, the wait, failure details and log location, dead clusters."""

import pytest
from moto.emr.models import emr_backends

from tests.lakeops.fakes import ACCOUNT, REGION


def cluster(deployed):
    return emr_backends[ACCOUNT][REGION].clusters[deployed.cluster_id]


def test_submits_the_curation_job_and_waits_for_it(deployed, sim, run_cli):
    sim.plan_step(state="COMPLETED")
    result = run_cli("run-job", "--start-date", "2024-01-01", "--end-date", "2024-01-02")
    assert result.exit_code == 0, result.output
    step = cluster(deployed).steps[-1]
    assert step.jar == "command-runner.jar"
    assert step.action_on_failure == "CONTINUE"
    assert step.args == [
        "spark-submit", "--deploy-mode", "cluster", deployed.script_uri,
        "--source", f"s3://{deployed.raw_bucket}/sales/",
        "--target", f"s3://{deployed.curated_bucket}/sales/",
        "--database", deployed.curated_database, "--table", "sales",
        "--start-date", "2024-01-01", "--end-date", "2024-01-02",
    ]
    assert result.stdout == (
        f"Step {step.id} on cluster {deployed.cluster_id}: COMPLETED in 0s\n"
        f"Step logs: s3://{deployed.logs_bucket}/emr/{deployed.cluster_id}/steps/{step.id}/\n"
    )
    assert f"step {step.id}: RUNNING (0s elapsed)" in result.stderr


def test_without_dates_the_job_curates_everything(deployed, sim, run_cli):
    result = run_cli("run-job")
    assert result.exit_code == 0, result.output
    assert "--start-date" not in cluster(deployed).steps[-1].args


def test_failed_step_prints_failure_details_and_log_location(deployed, sim, run_cli):
    sim.plan_step(state="FAILED", failure={
        "Reason": "Unknown Error.",
        "Message": "org.apache.spark.SparkException: Job aborted due to stage failure",
        "LogFile": f"s3://{deployed.logs_bucket}/emr/{deployed.cluster_id}/steps/s-X/stderr.gz",
    })
    result = run_cli("run-job")
    assert result.exit_code == 1
    step_id = cluster(deployed).steps[-1].id
    assert result.stderr.endswith(
        f"error: EMR step {step_id} (curate-sales) on cluster {deployed.cluster_id} FAILED\n"
        "  Reason: Unknown Error.\n"
        "  Message: org.apache.spark.SparkException: Job aborted due to stage failure\n"
        f"  Log file: s3://{deployed.logs_bucket}/emr/{deployed.cluster_id}/steps/s-X/stderr.gz\n"
        f"  Step logs: s3://{deployed.logs_bucket}/emr/{deployed.cluster_id}/steps/{step_id}/\n"
    )


@pytest.mark.parametrize("state", ["TERMINATED", "TERMINATED_WITH_ERRORS"])
def test_refuses_a_terminated_cluster_and_says_how_to_get_a_new_one(deployed, sim, run_cli, state):
    cluster(deployed).terminate()
    cluster(deployed).state = state
    result = run_cli("run-job")
    assert result.exit_code == 3
    assert f"error: EMR cluster {deployed.cluster_id} is {state}" in result.stderr
    assert "The cluster terminates itself when idle." in result.stderr
    assert ("'cdk destroy datalake-dev-emr -c stage=dev && cdk deploy datalake-dev-emr -c stage=dev' "
            "(it republishes /datalake/dev/emr/cluster-id)") in result.stderr
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
    result = run_cli("run-job")
    assert result.exit_code == 0, result.output
    assert f"cluster {deployed.cluster_id} is STARTING; waiting" in result.stderr
    assert f"cluster {deployed.cluster_id}: STARTING (0s elapsed)" in result.stderr


def test_step_timeout_exits_4(deployed, sim, run_cli):
    sim.plan_step(state="COMPLETED")
    sim.steps[0].polls = -10**9  # never reaches its final state
    result = run_cli("run-job", "--timeout", "0.05")
    assert result.exit_code == 4
    step_id = cluster(deployed).steps[-1].id
    assert f"waiting for step {step_id}, still RUNNING" in result.stderr
    assert f"'aws emr describe-step --cluster-id {deployed.cluster_id} --step-id {step_id}'" in result.stderr


@pytest.mark.parametrize("args", [
    ["--start-date", "2024-01-01"],
    ["--start-date", "2024-01-02", "--end-date", "2024-01-01"],
    ["--start-date", "01/02/2024", "--end-date", "2024-01-03"],
])
def test_bad_dates_are_usage_errors(run_cli, args):
    assert run_cli("run-job", *args).exit_code == 2


def test_a_cluster_id_that_does_not_exist_means_not_deployed(deployed, sim, run_cli):
    from tests.lakeops.fakes import client
    client("ssm").put_parameter(Name="/datalake/dev/emr/cluster-id", Value="j-GONE", Type="String", Overwrite=True)
    result = run_cli("run-job")
    assert result.exit_code == 3
    assert "EMR cluster j-GONE (from /datalake/dev/emr/cluster-id) does not exist" in result.stderr
    assert "cdk deploy datalake-dev-emr -c stage=dev" in result.stderr
