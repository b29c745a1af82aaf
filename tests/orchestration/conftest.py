"""A stage's pipeline and sweeper, rendered from the synthesized templates and created in moto."""
from dataclasses import dataclass

import pytest
from moto import mock_aws
from moto.moto_api import state_manager

from stacks.pipeline_stack import pipeline_name, sweeper_name, topic_name
from tests.lakeops.fakes import Simulator
from tests.orchestration import harness


@dataclass
class DeployedPipeline:
    synth: object
    plan: harness.Plan
    crawls: Simulator
    pipeline_arn: str
    sweeper_arn: str | None
    topic_arn: str
    queue_url: str


def deploy_pipeline(synth, monkeypatch, *, waits: dict[str, float] | None = None):
    """Creates what the pipeline stack would: the function (transient), both state machines, the
    topic (with a queue subscribed, to read what was published) and the curated crawler. `waits`:
    the seconds named Wait states wait (harness.Plan.waits)."""
    plan = harness.Plan(waits=dict(waits or {}))
    harness.install(monkeypatch, plan)
    crawls = Simulator()
    crawls._patch_glue(monkeypatch)
    state_manager.set_transition("glue::crawl", {"progression": "manual", "times": 2})
    settings = synth.settings
    (function_id,) = harness.resource_ids(synth, "pipeline", "AWS::Lambda::Function")
    names = {f"{function_id}.Arn": harness.create_function(synth, f"{settings.prefix}-pipeline-cluster", monkeypatch)}
    definition = harness.state_machine_definition(synth, "pipeline", "Pipeline", names)
    pipeline_arn = harness.create_state_machine(pipeline_name(settings), definition)
    sweeper_arn = None
    if settings.emr.mode == "transient":
        sweeper = harness.state_machine_definition(synth, "pipeline", "Sweeper", names)
        sweeper_arn = harness.create_state_machine(sweeper_name(settings), sweeper)
    sns, sqs = harness.client("sns"), harness.client("sqs")
    topic_arn = sns.create_topic(Name=topic_name(settings))["TopicArn"]
    queue_url = sqs.create_queue(QueueName="published")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    glue = harness.client("glue")
    glue.create_database(DatabaseInput={"Name": f"{settings.glue_prefix}_curated"})
    glue.create_crawler(Name=f"{settings.prefix}-curated", Role="arn:aws:iam::111122223333:role/crawler",
                        DatabaseName=f"{settings.glue_prefix}_curated", Targets={"S3Targets": [{"Path": "s3://curated/"}]})
    return DeployedPipeline(synth, plan, crawls, pipeline_arn, sweeper_arn, topic_arn, queue_url)


@pytest.fixture
def aws(monkeypatch):
    """moto, executing state machines. It takes monkeypatch so that it ends first: the executions a
    test left running stop, and moto's threads end, while the harness's patches and environment
    (MOTO_ACCOUNT_ID, which moto reads on each call) are still in place."""
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        try:
            yield
        finally:
            harness.stop_executions()
    state_manager.unset_transition("glue::crawl")


def published(deployed: DeployedPipeline) -> list[str]:
    """The messages published to the stage's topic so far."""
    import json

    sqs = harness.client("sqs")
    messages = sqs.receive_message(QueueUrl=deployed.queue_url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"])["Message"] for m in messages]
