"""lakeops run-pipeline against dev's pipeline executing in moto: progress on stderr, each step's
result and logs on stdout, and the CLI's exit codes."""
import time
import types

import pytest
from click.testing import CliRunner

from lake_config import pointers
from lakeops.cli import cli
from lakeops.errors import EXIT_FAILED, EXIT_NOT_DEPLOYED, EXIT_TIMEOUT
from lakeops.pipeline import MILESTONES
from tests.aws_contracts.iam_policy import REGION
from tests.orchestration import harness
from tests.orchestration.conftest import deploy_pipeline

pytestmark = pytest.mark.usefixtures("aws")


@pytest.fixture
def published(dev, monkeypatch):
    """What the pipeline stack publishes for the CLI, and a CLI environment pointing at moto."""
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_REGION", "LAKEOPS_STAGE", "LAKEOPS_PROJECT"):
        monkeypatch.delenv(name, raising=False)

    def publish(deployed):
        ssm = harness.client("ssm")
        prefix = dev.settings.ssm_prefix
        ssm.put_parameter(Name=f"{prefix}/pipeline/state-machine-arn", Value=deployed.pipeline_arn, Type="String")
        ssm.put_parameter(Name=f"{prefix}/pipeline/log-group", Value=f"/aws/vendedlogs/states/{dev.settings.prefix}-pipeline", Type="String")
        return deployed

    return publish


def run(*args):
    return CliRunner().invoke(cli, ["--stage", "dev", "--poll-interval", "0", "run-pipeline", *args])


def test_a_successful_run_prints_each_steps_result_and_logs(dev, monkeypatch, published):
    deployed = published(deploy_pipeline(dev, monkeypatch))
    result = run("--name", "by-hand-1")
    assert result.exit_code == 0, result.output
    (cluster,) = harness.clusters()
    for dataset in dev.settings.datasets:
        assert f"step {dataset.name}: COMPLETED, logs s3://" in result.stdout
    assert f"/emr/{cluster['Id']}/steps/" in result.stdout
    execution = deployed.pipeline_arn.replace(":stateMachine:", ":execution:") + ":by-hand-1"
    assert f"Pipeline run {execution}: SUCCEEDED in " in result.stdout
    for milestone in ("CreateCluster", "AddStep", "StepCompleted", "TerminateCluster", "Done"):
        assert f"  {milestone}: " in result.stderr
    # However many polls the run took, each milestone the history holds is printed once, in its order.
    entered = [e["stateEnteredEventDetails"]["name"] for e in harness.history(execution) if "stateEnteredEventDetails" in e]
    printed = [line.split(":")[0].strip() for line in result.stderr.splitlines() if line.startswith("  ") and ": " in line]
    assert [name for name in printed if name in MILESTONES] == [name for name in entered if name in MILESTONES]


def test_a_failed_run_exits_1_with_the_steps_and_where_to_look(dev, monkeypatch, published):
    failing = dev.settings.datasets[0].name
    deployed = published(deploy_pipeline(dev, monkeypatch))
    deployed.plan.steps[f"{dev.settings.prefix}-curate-{failing}"] = harness.StepOutcome(state="FAILED")
    result = run("--name", "by-hand-2")
    assert result.exit_code == EXIT_FAILED, result.output
    assert "pipeline run by-hand-2 FAILED: Pipeline.StepFailed" in result.stderr
    assert f"step {failing}: FAILED, logs s3://" in result.stderr
    assert "aws stepfunctions describe-execution --execution-arn" in result.stderr
    assert pointers.RUN_ENDED.split("{")[0] in result.stderr


def fast_clock(monkeypatch) -> None:
    """The CLI's clock runs ahead: each of its sleeps advances it by the seconds asked for at
    once, and gives moto's execution thread a moment of real time."""
    now = [time.monotonic()]

    def sleep(seconds: float) -> None:
        now[0] += seconds
        time.sleep(0.01)

    monkeypatch.setattr("lakeops.pipeline.time", types.SimpleNamespace(monotonic=lambda: now[0], sleep=sleep))


def test_a_run_past_the_timeout_exits_4_and_keeps_running(dev, monkeypatch, published):
    deployed = published(deploy_pipeline(dev, monkeypatch, waits={"WaitForStep": harness.UNTIL_STOPPED}))
    fast_clock(monkeypatch)
    deployed.plan.steps[f"{dev.settings.prefix}-curate-{dev.settings.datasets[0].name}"] = harness.StepOutcome(state="RUNNING")
    result = run("--name", "by-hand-3", "--timeout", "1")
    assert result.exit_code == EXIT_TIMEOUT, result.output
    assert "It keeps running in AWS" in result.stderr
    harness.client("stepfunctions").stop_execution(executionArn=deployed.pipeline_arn.replace(":stateMachine:", ":execution:") + ":by-hand-3")


def test_a_stage_without_the_pipeline_exits_3(dev, monkeypatch, published):
    result = run()
    assert result.exit_code == EXIT_NOT_DEPLOYED, result.output
    assert "pipeline/state-machine-arn" in result.stderr and f"published by stack {dev.stacks['pipeline'].stack_name}" in result.stderr
