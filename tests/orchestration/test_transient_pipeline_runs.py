"""dev's pipeline (transient clusters), executed by moto from the synthesized template: the
success path and every failure path end with the run's cluster terminated."""
import json

import pytest

from tests.aws_contracts.iam_policy import ACCOUNT, REGION
from tests.orchestration import harness
from tests.orchestration.conftest import deploy_pipeline, published

pytestmark = pytest.mark.usefixtures("aws")


def step_names(synth) -> list[str]:
    return [f"{synth.settings.prefix}-curate-{d.name}" for d in synth.settings.datasets]


def no_cluster_left() -> None:
    assert harness.active_clusters() == [], "a pipeline run left a cluster running"


def test_a_run_curates_every_dataset_and_terminates_its_cluster(dev, monkeypatch):
    deployed = deploy_pipeline(dev, monkeypatch)
    result = harness.run(deployed.pipeline_arn, name="nightly-1")
    assert result["status"] == "SUCCEEDED", result.get("cause")
    output = json.loads(result["output"])
    (cluster,) = harness.clusters()
    assert output["cluster_id"] == cluster["Id"] and cluster["Status"]["State"] == "TERMINATED"
    assert [s["dataset"] for s in output["steps"]] == [d.name for d in dev.settings.datasets]
    log_uri = f"s3://{dev.settings.prefix}-logs-{ACCOUNT}-{REGION}/emr/"
    for record in output["steps"]:
        assert record["state"] == "COMPLETED"
        assert record["logs"] == f"{log_uri}{cluster['Id']}/steps/{record['step_id']}/"
    assert {c["dataset"]: c["outcome"] for c in output["data_quality"]} == {d.name: "ok" for d in dev.settings.datasets}
    assert "crawl" not in output, "the curated zone is not crawled: the job registers its partitions"
    # The cluster is created from the definition and tagged with the run.
    tags = {t["Key"]: t["Value"] for t in cluster["Tags"]}
    assert tags["pipeline-execution"] == result["executionArn"]
    assert tags["for-use-with-amazon-emr-managed-policies"] == "true"
    assert (tags["project"], tags["stage"]) == (dev.settings.project, dev.settings.stage)
    assert cluster["Name"] == dev.settings.prefix and cluster["SecurityConfiguration"]
    # Terminated before the checks started: they need no cluster.
    states = harness.entered(result)
    assert states.index("TerminateCluster") < states.index("StartEvaluation") < states.index("Done")


def test_each_step_runs_the_shared_curation_arguments_with_this_runs_id(dev, monkeypatch):
    deployed = deploy_pipeline(dev, monkeypatch)
    result = harness.run(deployed.pipeline_arn, name="nightly-2")
    assert result["status"] == "SUCCEEDED", result.get("cause")
    (cluster,) = harness.clusters()
    emr = harness.client("emr")
    steps = {s["Name"]: s for s in emr.list_steps(ClusterId=cluster["Id"])["Steps"]}
    assert sorted(steps) == sorted(step_names(dev))
    for dataset in dev.settings.datasets:
        args = steps[f"{dev.settings.prefix}-curate-{dataset.name}"]["Config"]["Args"]
        assert args[args.index("--run-id") + 1] == "nightly-2"
        assert args[args.index("--report") + 1].endswith(f"/{dataset.report_prefix}nightly-2.json")
        assert json.loads(args[args.index("--spec") + 1])["name"] == dataset.name


def test_the_password_appears_in_no_state_of_the_execution_history(dev, monkeypatch):
    deployed = deploy_pipeline(dev, monkeypatch)
    result = harness.run(deployed.pipeline_arn)
    assert result["status"] == "SUCCEEDED", result.get("cause")
    assert harness.PASSWORD not in json.dumps(result["history"], default=str)
    assert "KdcAdminPassword" not in json.dumps(result["history"], default=str)
    # It did reach EMR: the function added it to the request (moto keeps the Kerberos attributes).
    (cluster,) = harness.clusters()
    assert cluster["KerberosAttributes"]["Realm"] == dev.settings.emr.kerberos.realm


def test_a_failed_step_is_reported_the_others_run_and_the_cluster_is_terminated(dev, monkeypatch):
    deployed = deploy_pipeline(dev, monkeypatch)
    failing, *others = step_names(dev)
    failure = {"Reason": "java.lang.RuntimeException", "Message": "bad input", "LogFile": "s3://logs/emr/x/steps/y/stderr.gz"}
    deployed.plan.steps[failing] = harness.StepOutcome(state="FAILED", failure=failure)
    result = harness.run(deployed.pipeline_arn)
    assert (result["status"], result["error"]) == ("FAILED", "Pipeline.StepFailed")
    summary = json.loads(result["cause"])
    by_dataset = {s["dataset"]: s for s in summary["steps"]}
    failed = by_dataset[failing.rsplit("-", 1)[-1]]
    assert failed["state"] == "FAILED" and failed["status"]["FailureDetails"] == failure and "/steps/" in failed["logs"]
    assert all(by_dataset[name.rsplit("-", 1)[-1]]["state"] == "COMPLETED" for name in others)
    no_cluster_left()


def test_a_step_past_its_timeout_is_cancelled_and_the_cluster_terminated(dev, monkeypatch):
    deployed = deploy_pipeline(dev, monkeypatch)
    stuck = step_names(dev)[0]
    deployed.plan.steps[stuck] = harness.StepOutcome(state="RUNNING")
    result = harness.run(deployed.pipeline_arn, timeout=120)
    assert (result["status"], result["error"]) == ("FAILED", "Pipeline.StepFailed")
    record = next(s for s in json.loads(result["cause"])["steps"] if s["state"] != "COMPLETED")
    assert record["state"] == "TIMED_OUT" and "pipeline.step_timeout_minutes" in record["reason"]
    polls = [e for e in result["history"] if e.get("stateEnteredEventDetails", {}).get("name") == "CountStepPoll"]
    assert len(polls) >= dev.settings.pipeline.step_polls
    assert "CancelStep" in harness.entered(result)
    no_cluster_left()


def test_a_cluster_that_could_not_get_capacity_is_created_again(dev, monkeypatch):
    deployed = deploy_pipeline(dev, monkeypatch)
    deployed.plan.clusters.append(
        harness.ClusterOutcome(state="TERMINATED_WITH_ERRORS", code="INSTANCE_FLEET_TIMEOUT", message="spot capacity not available")
    )
    result = harness.run(deployed.pipeline_arn)
    assert result["status"] == "SUCCEEDED", result.get("cause")
    first, second = sorted(harness.clusters(), key=lambda c: c["Status"]["Timeline"]["CreationDateTime"])
    assert first["Status"]["State"] == "TERMINATED_WITH_ERRORS" and second["Status"]["State"] == "TERMINATED"
    assert json.loads(result["output"])["cluster_id"] == second["Id"]


def test_capacity_that_never_comes_fails_the_run_after_the_configured_retries(dev, monkeypatch):
    deployed = deploy_pipeline(dev, monkeypatch)
    attempts = dev.settings.pipeline.capacity_retries + 1
    deployed.plan.clusters += [harness.ClusterOutcome(state="TERMINATED_WITH_ERRORS", code="INSTANCE_FAILURE", message="no capacity")] * attempts
    result = harness.run(deployed.pipeline_arn, timeout=120)
    assert (result["status"], result["error"]) == ("FAILED", "Cluster.CapacityUnavailable")
    assert len(harness.clusters()) == attempts
    no_cluster_left()


def test_a_cluster_that_fails_to_start_fails_the_run_without_retrying(dev, monkeypatch):
    deployed = deploy_pipeline(dev, monkeypatch)
    deployed.plan.clusters.append(harness.ClusterOutcome(state="TERMINATED_WITH_ERRORS", code="BOOTSTRAP_FAILURE", message="bootstrap"))
    result = harness.run(deployed.pipeline_arn)
    assert (result["status"], result["error"]) == ("FAILED", "Cluster.StartFailed")
    assert len(harness.clusters()) == 1
    no_cluster_left()


def test_when_the_create_function_fails_the_run_fails_with_its_error(dev, monkeypatch):
    deployed = deploy_pipeline(dev, monkeypatch)
    deployed.plan.lambda_error = "ValidationException"
    result = harness.run(deployed.pipeline_arn)
    assert (result["status"], result["error"]) == ("FAILED", "ValidationException")
    assert harness.clusters() == []


def test_a_cluster_that_never_becomes_ready_is_terminated(dev, monkeypatch):
    deployed = deploy_pipeline(dev, monkeypatch)
    deployed.plan.clusters.append(harness.ClusterOutcome(state="STARTING"))
    result = harness.run(deployed.pipeline_arn, timeout=120)
    assert (result["status"], result["error"]) == ("FAILED", "Cluster.StartTimedOut")
    no_cluster_left()


def test_a_failed_crawl_fails_the_run_after_the_cluster_is_gone(dev, monkeypatch):
    """A catalog with a curated crawler (a fork's choice; the shipped one declares its tables) gets a
    crawl after the steps; its failure fails the run with the cluster already gone."""
    deployed = deploy_pipeline(dev, monkeypatch)
    crawler = f"{dev.settings.prefix}-curated"
    definition = harness.definition_variant(dev, deployed, quality={}, crawler=crawler)
    pipeline_arn = harness.create_state_machine("with-crawler", definition)
    ok = harness.run(pipeline_arn, name="crawled")
    assert ok["status"] == "SUCCEEDED", ok.get("cause")
    assert json.loads(ok["output"])["crawl"]["outcome"] == "ok"
    entered = harness.entered(ok)
    assert entered.index("TerminateCluster") < entered.index("StartCrawler") < entered.index("Done")
    deployed.crawls.plan_crawl(crawler, status="FAILED", error="Internal Service Exception")
    result = harness.run(pipeline_arn)
    assert (result["status"], result["error"]) == ("FAILED", "Pipeline.CrawlFailed")
    assert json.loads(result["cause"])["crawl"]["last_crawl"]["ErrorMessage"] == "Internal Service Exception"
    no_cluster_left()


def test_when_the_curation_stage_itself_fails_the_run_terminates_its_cluster(dev, monkeypatch):
    """Not a failed step (the Map records that and goes on): the curation Map state itself fails
    with States.Runtime, as an iteration whose input or result cannot be evaluated does in Step
    Functions. moto's Map is made to fail that way (moto patched, not the definition); the
    sweeper is not run: the run's own catch and terminate must end the cluster."""
    from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent, FailureEventException)
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import StatesErrorNameType
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.state_map import StateMap
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    deployed = deploy_pipeline(dev, monkeypatch)
    evaluate = StateMap._eval_execution

    def failing_curation(self, env):
        if self.name != "Curate":
            return evaluate(self, env)
        error = StatesErrorNameType.StatesRuntime.to_name()
        raise FailureEventException(FailureEvent(
            env=env, error_name=StatesErrorName(typ=StatesErrorNameType.StatesRuntime), event_type=HistoryEventType.TaskFailed,
            event_details=EventDetails(taskFailedEventDetails=TaskFailedEventDetails(error=error, cause="curation stage failed")),
        ))

    monkeypatch.setattr(StateMap, "_eval_execution", failing_curation)
    result = harness.run(deployed.pipeline_arn, name="curation-fails-1")
    assert result["status"] == "FAILED"
    states = harness.entered(result)
    assert "Curate" in states and "TerminateCluster" not in states, "the failure came from the curation stage"
    (cluster,) = harness.clusters()
    assert cluster["Status"]["State"] == "TERMINATED"
    no_cluster_left()
