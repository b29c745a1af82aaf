"""prod's pipeline (long-running cluster), executed by moto from the synthesized template: it finds
the cluster by its SSM parameter, steps it, and never terminates it."""
import json

import pytest

from tests.orchestration import harness
from tests.orchestration.conftest import deploy_pipeline

pytestmark = pytest.mark.usefixtures("aws")


def long_running_cluster(synth) -> str:
    """The stack's cluster as moto holds it, published where the EMR stack publishes its id."""
    cluster_id = harness.client("emr").run_job_flow(
        Name=synth.settings.prefix, ReleaseLabel=synth.settings.emr.release_label, JobFlowRole="r", ServiceRole="s",
        Instances={"KeepJobFlowAliveWhenNoSteps": True, "InstanceCount": 1, "MasterInstanceType": "m6g.xlarge"},
        Tags=[{"Key": "stage", "Value": synth.settings.stage}],
    )["JobFlowId"]
    harness.client("ssm").put_parameter(Name=f"{synth.settings.ssm_prefix}/emr/cluster-id", Value=cluster_id, Type="String")
    return cluster_id


def test_a_run_steps_the_long_running_cluster_and_leaves_it_running(prod, monkeypatch):
    deployed = deploy_pipeline(prod, monkeypatch)
    assert deployed.sweeper_arn is None, "no transient clusters, no sweeper"
    cluster_id = long_running_cluster(prod)
    result = harness.run(deployed.pipeline_arn)
    assert result["status"] == "SUCCEEDED", result.get("cause")
    output = json.loads(result["output"])
    assert output["cluster_id"] == cluster_id
    assert {s["dataset"] for s in output["steps"]} == {d.name for d in prod.settings.datasets}
    (cluster,) = harness.clusters()
    assert cluster["Status"]["State"] in ("WAITING", "RUNNING")
    assert "TerminateCluster" not in harness.entered(result) and "CreateCluster" not in harness.entered(result)


def test_a_failed_step_leaves_the_long_running_cluster_running(prod, monkeypatch):
    deployed = deploy_pipeline(prod, monkeypatch)
    long_running_cluster(prod)
    deployed.plan.steps[f"{prod.settings.prefix}-curate-{prod.settings.datasets[0].name}"] = harness.StepOutcome(state="FAILED")
    result = harness.run(deployed.pipeline_arn)
    assert (result["status"], result["error"]) == ("FAILED", "Pipeline.StepFailed")
    (cluster,) = harness.clusters()
    assert cluster["Status"]["State"] in ("WAITING", "RUNNING")


def test_a_terminated_long_running_cluster_fails_the_run_with_what_to_do(prod, monkeypatch):
    deployed = deploy_pipeline(prod, monkeypatch)
    cluster_id = long_running_cluster(prod)
    harness.client("emr").terminate_job_flows(JobFlowIds=[cluster_id])
    result = harness.run(deployed.pipeline_arn)
    assert (result["status"], result["error"]) == ("FAILED", "Cluster.NotUsable")
    assert cluster_id in result["cause"] and prod.stacks["emr"].stack_name in result["cause"]
    assert "AddStep" not in harness.entered(result)


def test_a_stage_that_never_deployed_its_cluster_fails_the_run(prod, monkeypatch):
    deployed = deploy_pipeline(prod, monkeypatch)
    result = harness.run(deployed.pipeline_arn)
    assert result["status"] == "FAILED" and "ParameterNotFound" in result["error"]
