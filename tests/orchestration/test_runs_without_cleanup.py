"""A stopped or timed-out run runs no Catch (aws-cdk issue 28697): its cluster stays up until the
sweeper, started by the rule on the run's end (or its schedule), terminates it. Executed in moto."""
import json

import pytest

from stacks.pipeline_stack import ENDED_WITHOUT_CLEANUP, pipeline_name
from tests.aws_contracts.iam_policy import ACCOUNT, REGION, render
from tests.orchestration import harness
from tests.orchestration.conftest import deploy_pipeline, published

pytestmark = pytest.mark.usefixtures("aws")


def status_event(execution_arn: str, state_machine_arn: str, status: str) -> dict:
    """What Step Functions sends EventBridge when an execution ends (Step Functions Developer Guide)."""
    return {
        "version": "0", "id": "6f1b0cbd-0000-0000-0000-000000000000", "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states", "account": ACCOUNT, "time": "2026-01-02T04:20:00Z", "region": REGION,
        "resources": [execution_arn],
        "detail": {"executionArn": execution_arn, "stateMachineArn": state_machine_arn, "name": execution_arn.rsplit(":", 1)[-1],
                   "status": status, "startDate": 1767326400000, "stopDate": 1767327600000},
    }


def sweep_rule_pattern(synth) -> dict:
    template = synth.template_json("pipeline")
    (rule,) = [r for k, r in template["Resources"].items() if r["Type"] == "AWS::Events::Rule" and k.startswith("SweepOnRunEnd")]
    return render(rule["Properties"]["EventPattern"], template)


def matches(pattern: dict, event: dict) -> bool:
    return harness.pattern_matches(pattern, event)


# A run with a step that never ends stays at its first poll of the step until stopped or timed out.
STUCK = {"WaitForStep": harness.UNTIL_STOPPED}


def start_stuck_run(deployed, synth) -> str:
    """A run whose first step never ends (deployed with STUCK), once it has its cluster and submitted the step."""
    stuck = f"{synth.settings.prefix}-curate-{synth.settings.datasets[0].name}"
    deployed.plan.steps[stuck] = harness.StepOutcome(state="RUNNING")
    sfn = harness.client("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=deployed.pipeline_arn, name="stuck-run", input="{}")["executionArn"]
    emr = harness.client("emr")
    harness.wait_until(
        lambda: any(emr.list_steps(ClusterId=c["Id"])["Steps"] for c in harness.active_clusters()), what="the run's first step"
    )
    return execution


def assert_swept(deployed, execution: str, status: str, reported: str | None = None) -> None:
    """The run's cluster is up; the rule matches `status`; the sweeper terminates the cluster
    and says so with what describe-execution reports (`reported`, default `status`)."""
    (left,) = harness.active_clusters()
    tags = {t["Key"]: t["Value"] for t in left["Tags"]}
    assert tags["pipeline-execution"] == execution, "the trap: the run's own cleanup did not run"
    assert matches(sweep_rule_pattern(deployed.synth), status_event(execution, deployed.pipeline_arn, status))
    sweep = harness.run(deployed.sweeper_arn)
    assert sweep["status"] == "SUCCEEDED", sweep.get("cause")
    assert harness.active_clusters() == []
    (message,) = published(deployed)
    assert left["Id"] in message and execution in message and f"({reported or status})" in message
    assert f"s3://{deployed.synth.settings.prefix}-logs-{ACCOUNT}-{REGION}/emr/{left['Id']}/" in message


def test_a_run_stopped_while_its_cluster_starts_leaves_it_and_the_sweeper_terminates_it(dev, monkeypatch):
    deployed = deploy_pipeline(dev, monkeypatch, waits={"WaitForCluster": harness.UNTIL_STOPPED})
    deployed.plan.clusters.append(harness.ClusterOutcome(state="STARTING"))
    sfn = harness.client("stepfunctions")
    execution = sfn.start_execution(stateMachineArn=deployed.pipeline_arn, name="stopped-run", input="{}")["executionArn"]
    harness.wait_until(harness.active_clusters, what="the run's cluster")
    sfn.stop_execution(executionArn=execution)
    result = harness.wait(execution)
    assert result["status"] == "ABORTED"
    assert "Abandon" not in harness.entered(result)
    assert_swept(deployed, execution, "ABORTED")


def test_a_run_stopped_during_its_steps_runs_no_cleanup_and_the_sweeper_terminates_the_cluster(dev, monkeypatch):
    deployed = deploy_pipeline(dev, monkeypatch, waits=STUCK)
    execution = start_stuck_run(deployed, dev)
    harness.client("stepfunctions").stop_execution(executionArn=execution)
    result = harness.wait(execution)
    # AWS ends this execution ABORTED; moto 5.2.5 aborts the Map iterations, then reports the
    # execution FAILED with a States.Runtime error of its own. Either way no Catch runs:
    assert any(e["type"] == "MapIterationAborted" for e in result["history"])
    assert not {"Abandon", "TerminateAfterError", "TerminateCluster"} & set(harness.entered(result))
    assert_swept(deployed, execution, "ABORTED", reported=result["status"])


def test_a_run_past_the_execution_timeout_leaves_its_cluster_and_the_sweeper_terminates_it(dev, monkeypatch):
    deployed = deploy_pipeline(dev, monkeypatch, waits=STUCK)
    execution = start_stuck_run(deployed, dev)
    harness.time_out(execution)
    result = harness.wait(execution)
    # AWS ends this execution TIMED_OUT. With more datasets than the Map's MaxConcurrency (the
    # stage's step concurrency), moto 5.2.5 still starts a queued iteration after the timeout and
    # reports the execution FAILED with a States.Runtime error of its own; either way no Catch runs.
    # The running iterations' own ends may be recorded after the execution's: find it by type.
    queued = len(dev.settings.datasets) > dev.settings.emr.step_concurrency_level
    (end,) = [e for e in result["history"] if e["type"] in ("ExecutionTimedOut", "ExecutionFailed")]
    moto_artifact = "Could not set NextState value when in state" in json.dumps(end)
    assert result["status"] == "TIMED_OUT" or (queued and result["status"] == "FAILED" and moto_artifact), (result["status"], end)
    assert not {"Abandon", "TerminateAfterError", "TerminateCluster"} & set(harness.entered(result))
    assert_swept(deployed, execution, "TIMED_OUT", reported=result["status"])


def test_the_rule_starts_the_sweeper_for_each_end_without_cleanup_and_no_other(dev):
    pattern = sweep_rule_pattern(dev)
    arn = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{pipeline_name(dev.settings)}"
    execution = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{pipeline_name(dev.settings)}:run-1"
    for status in ("ABORTED", "TIMED_OUT", "FAILED", "SUCCEEDED", "RUNNING"):
        assert matches(pattern, status_event(execution, arn, status)) == (status in ENDED_WITHOUT_CLEANUP), status
    other = arn.replace(pipeline_name(dev.settings), "someone-elses-pipeline")
    assert not matches(pattern, status_event(execution.replace(pipeline_name(dev.settings), "x"), other, "ABORTED"))


def test_the_sweeper_terminates_only_clusters_of_ended_runs(dev, monkeypatch):
    deployed = deploy_pipeline(dev, monkeypatch, waits=STUCK)
    running = start_stuck_run(deployed, dev)
    emr = harness.client("emr")
    finished = harness.create_state_machine("finished", {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})
    ended = harness.run(finished, name="ended-run")

    def cluster(name: str, tags: dict) -> str:
        return emr.run_job_flow(
            Name=name, ReleaseLabel="emr-7.13.0", JobFlowRole="r", ServiceRole="s",
            Instances={"KeepJobFlowAliveWhenNoSteps": True, "InstanceCount": 1, "MasterInstanceType": "m6g.xlarge"},
            Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
        )["JobFlowId"]

    prefix = dev.settings.prefix
    leftover = cluster(prefix, {"pipeline-execution": ended["executionArn"], "stage": dev.settings.stage, "project": dev.settings.project})
    unknown = cluster(prefix, {"pipeline-execution": ended["executionArn"].replace("ended-run", "deleted-run"), "stage": dev.settings.stage})
    long_running = cluster(prefix, {"stage": dev.settings.stage})
    someone_else = cluster("analytics-team", {"pipeline-execution": ended["executionArn"]})
    sweep = harness.run(deployed.sweeper_arn)
    assert sweep["status"] == "SUCCEEDED", sweep.get("cause")
    states = {c["Id"]: c["Status"]["State"] for c in harness.clusters()}
    assert states[leftover] == states[unknown] == "TERMINATED"
    assert states[long_running] == states[someone_else] == "WAITING"
    (in_use,) = [c for c in harness.active_clusters() if {"Key": "pipeline-execution", "Value": running} in c["Tags"]]
    assert in_use["Status"]["State"] in ("RUNNING", "WAITING"), "a running run keeps its cluster"
    assert len(published(deployed)) == 2
    harness.client("stepfunctions").stop_execution(executionArn=running)


def test_a_cluster_the_sweeper_cannot_terminate_fails_the_sweep_after_the_others_are_terminated(dev, monkeypatch):
    """EMR API Reference, "SetTerminationProtection": a protected cluster "cannot be terminated by
    user intervention, an API call, or in the event of a job-flow error" (TerminateJobFlows is
    refused; moto answers with EMR's ValidationException). One such leftover must not keep the
    sweep from terminating the others of its page, and the run must fail, naming it, so that the
    failed-run rule tells the alerts topic."""
    deployed = deploy_pipeline(dev, monkeypatch)
    emr = harness.client("emr")
    finished = harness.create_state_machine("finished", {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})
    ended = harness.run(finished, name="ended-run")
    tags = [{"Key": "pipeline-execution", "Value": ended["executionArn"]}, {"Key": "stage", "Value": dev.settings.stage}]

    def leftover(protected: bool) -> str:
        return emr.run_job_flow(
            Name=dev.settings.prefix, ReleaseLabel="emr-7.13.0", JobFlowRole="r", ServiceRole="s", Tags=tags,
            Instances={"KeepJobFlowAliveWhenNoSteps": True, "InstanceCount": 1, "MasterInstanceType": "m6g.xlarge",
                       "TerminationProtected": protected},
        )["JobFlowId"]

    first, protected, last = leftover(False), leftover(True), leftover(False)
    sweep = harness.run(deployed.sweeper_arn)
    assert sweep["status"] == "FAILED" and sweep["error"] == "Sweeper.ClusterNotSwept", sweep
    assert protected in sweep["cause"] and "termination protected" in sweep["cause"]
    states = {c["Id"]: c["Status"]["State"] for c in harness.clusters()}
    assert states[first] == states[last] == "TERMINATED", "the protected cluster stopped the sweep of the others"
    assert states[protected] == "WAITING"
    assert len(published(deployed)) == 2
