"""The pipeline stack's structure and permissions, from the synthesized templates. What the state
machines do when they run is executed in tests/orchestration; this module checks what moto cannot:
IAM (evaluated with AWS's rules), logging, tracing, the schedules and their dead-letter queue."""
import json

import aws_cdk as cdk
from aws_cdk import aws_kms as kms

from lake_config.pipeline_settings import ScheduleSettings
from lake_constructs.orchestration.state_machine_schedules import ScheduledStart, StateMachineSchedules
from stacks.pipeline_stack import pipeline_name, sweeper_name
from tests.aws_contracts.iam_policy import ACCOUNT, REGION, allows, decision, render, role_policies
from tests.orchestration.harness import all_templates

CLUSTER = f"arn:aws:elasticmapreduce:{REGION}:{ACCOUNT}:cluster/j-1ABCDEF"


def resources(synth, type_: str) -> dict:
    return {k: r for k, r in synth.template_json("pipeline")["Resources"].items() if r["Type"] == type_}


def role_id(synth, prefix: str) -> str:
    (found,) = [k for k in resources(synth, "AWS::IAM::Role") if k.startswith(prefix)]
    return found


def policies(synth, prefix: str) -> list[dict]:
    return role_policies(synth.template_json("pipeline"), role_id(synth, prefix), {}, all_templates(synth))


def own_cluster(synth, **extra) -> dict:
    return {"aws:ResourceTag/project": synth.settings.project, "aws:ResourceTag/stage": synth.settings.stage, **extra}


def test_no_state_machine_reads_describe_cluster(stage):
    """DescribeCluster's answer holds the Kerberos attributes; a task's answer stays in the history."""
    for machine in resources(stage, "AWS::StepFunctions::StateMachine").values():
        assert "describeCluster" not in json.dumps(machine["Properties"]["DefinitionString"])
    for prefix in ("PipelineRole", "SweeperRole"):
        if any(k.startswith(prefix) for k in resources(stage, "AWS::IAM::Role")):
            assert decision(policies(stage, prefix), "elasticmapreduce:DescribeCluster", CLUSTER, own_cluster(stage)) == "implicit-deny"


def test_the_pipeline_steps_and_ends_only_this_stages_clusters(stage):
    pipeline = policies(stage, "PipelineRole")
    for action in ("elasticmapreduce:AddJobFlowSteps", "elasticmapreduce:DescribeStep", "elasticmapreduce:CancelSteps"):
        assert allows(pipeline, action, CLUSTER, own_cluster(stage))
        assert not allows(pipeline, action, CLUSTER, own_cluster(stage, **{"aws:ResourceTag/stage": "other"}))
    transient = stage.settings.emr.mode == "transient"
    assert allows(pipeline, "elasticmapreduce:TerminateJobFlows", CLUSTER, own_cluster(stage)) == transient
    assert not allows(pipeline, "elasticmapreduce:RunJobFlow", "*", {})


def test_only_the_cluster_function_creates_clusters_and_only_for_this_pipelines_runs(dev, prod):
    def function_policies(synth):
        return policies(synth, "ClusterFunctionRole")

    execution = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{pipeline_name(dev.settings)}:run-1"
    request = {"aws:RequestTag/stage": dev.settings.stage, "aws:RequestTag/pipeline-execution": execution}
    dev_policies = function_policies(dev)
    assert allows(dev_policies, "elasticmapreduce:RunJobFlow", "*", request)
    assert not allows(dev_policies, "elasticmapreduce:RunJobFlow", "*", {**request, "aws:RequestTag/pipeline-execution": execution.replace("pipeline:", "other:")})
    assert not allows(dev_policies, "elasticmapreduce:RunJobFlow", "*", {"aws:RequestTag/stage": dev.settings.stage})
    # Which role it passes to which service: tests/aws_contracts/test_run_job_flow_contract.py.
    (secret,) = [s["Resource"] for p in dev_policies for s in p["Statement"] if s["Action"] == "secretsmanager:GetSecretValue"]
    (secret_id,) = [k for k, r in dev.template_json("emr")["Resources"].items() if r["Type"] == "AWS::SecretsManager::Secret"]
    assert secret == secret_id, "exactly the cluster definition's KDC password"
    assert allows(dev_policies, "kms:Decrypt", "arn:aws:kms:eu-west-1:111122223333:key/LakeKey09476F72",
                  {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"})
    assert not allows(dev_policies, "kms:Decrypt", "arn:aws:kms:eu-west-1:111122223333:key/LakeKey09476F72", {})
    # prod's cluster is CloudFormation's: its function only describes.
    assert not allows(function_policies(prod), "elasticmapreduce:RunJobFlow", "*", {**request, "aws:RequestTag/stage": "prod"})
    assert allows(function_policies(prod), "elasticmapreduce:DescribeCluster", CLUSTER, {"aws:ResourceTag/stage": "prod"})


def test_the_sweeper_ends_only_this_stages_clusters_and_reports_on_the_stage_topic(dev):
    sweeper = policies(dev, "SweeperRole")
    assert allows(sweeper, "elasticmapreduce:TerminateJobFlows", CLUSTER, own_cluster(dev))
    assert not allows(sweeper, "elasticmapreduce:TerminateJobFlows", CLUSTER, own_cluster(dev, **{"aws:ResourceTag/project": "other"}))
    run = f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{pipeline_name(dev.settings)}:run-1"
    assert allows(sweeper, "states:DescribeExecution", run)
    assert not allows(sweeper, "states:DescribeExecution", run.replace(pipeline_name(dev.settings), "someone-else"))
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:{dev.settings.prefix}-alerts"
    assert allows(sweeper, "sns:Publish", topic) and not allows(sweeper, "sns:Publish", topic + "-x")
    key = "arn:aws:kms:eu-west-1:111122223333:key/LakeKey09476F72"
    assert allows(sweeper, "kms:GenerateDataKey", key, {"kms:ViaService": f"sns.{REGION}.amazonaws.com"})


def test_state_machines_are_standard_logged_to_encrypted_groups_and_bounded(stage):
    machines = resources(stage, "AWS::StepFunctions::StateMachine")
    groups = resources(stage, "AWS::Logs::LogGroup")
    names = {pipeline_name(stage.settings)} | ({sweeper_name(stage.settings)} if stage.settings.emr.mode == "transient" else set())
    assert {m["Properties"]["StateMachineName"] for m in machines.values()} == names
    for machine in machines.values():
        props = machine["Properties"]
        assert props["StateMachineType"] == "STANDARD"
        logging = props["LoggingConfiguration"]
        assert logging["Level"] == "ALL" and logging["IncludeExecutionData"] is True
        (destination,) = logging["Destinations"]
        group = groups[destination["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"][0]]["Properties"]
        assert "LakeKey" in json.dumps(group["KmsKeyId"]) and group["RetentionInDays"] == stage.settings.pipeline.log_retention_days
        assert props.get("TracingConfiguration", {}).get("Enabled", False) is stage.settings.pipeline.tracing
    (pipeline,) = [m for m in machines.values() if m["Properties"]["StateMachineName"] == pipeline_name(stage.settings)]
    definition = json.loads(render(pipeline["Properties"]["DefinitionString"], stage.template_json("pipeline")))
    assert definition["TimeoutSeconds"] == stage.settings.pipeline.timeout_minutes * 60


def test_the_daily_schedule_and_the_sweep_schedule_as_configured(stage):
    schedules = {s["Properties"]["Name"]: s["Properties"] for s in resources(stage, "AWS::Scheduler::Schedule").values()}
    configured = stage.settings.pipeline.schedule
    daily = schedules[f"{stage.settings.prefix}-pipeline"]
    assert (daily["ScheduleExpression"], daily["ScheduleExpressionTimezone"]) == (configured.cron, configured.timezone)
    assert daily["State"] == ("ENABLED" if configured.enabled else "DISABLED")
    assert daily["FlexibleTimeWindow"] == {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": configured.flexible_window_minutes}
    assert daily["Target"]["RetryPolicy"] == {
        "MaximumRetryAttempts": configured.retry_attempts, "MaximumEventAgeInSeconds": configured.max_event_age_minutes * 60
    }
    (queue_id,) = resources(stage, "AWS::SQS::Queue")
    assert all(s["Target"]["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": [queue_id, "Arn"]} for s in schedules.values())
    queue = resources(stage, "AWS::SQS::Queue")[queue_id]["Properties"]
    assert "LakeKey" in json.dumps(queue["KmsMasterKeyId"]) and queue["MessageRetentionPeriod"] == 14 * 86400
    if stage.settings.emr.mode == "transient":
        sweep = schedules[f"{stage.settings.prefix}-cluster-sweeper"]
        assert sweep["ScheduleExpression"] == f"rate({stage.settings.pipeline.sweep_interval_minutes} minutes)"
    scheduler = policies(stage, "SchedulesRole")
    machine = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{pipeline_name(stage.settings)}"
    assert allows(scheduler, "states:StartExecution", machine) and not allows(scheduler, "states:StartExecution", machine + "-x")
    assert allows(scheduler, "sqs:SendMessage", f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue_id}")
    trust = resources(stage, "AWS::IAM::Role")[role_id(stage, "SchedulesRole")]["Properties"]["AssumeRolePolicyDocument"]
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Service": "scheduler.amazonaws.com"} and "aws:SourceAccount" in statement["Condition"]["StringEquals"]


def test_a_schedule_switched_off_is_kept_disabled():
    stack = cdk.Stack(cdk.App(), "Schedules")
    start = ScheduledStart.daily("lake-dev-pipeline", "arn:aws:states:eu-west-1:111122223333:stateMachine:x", ScheduleSettings(enabled=False, flexible_window_minutes=0), "d")
    StateMachineSchedules(stack, "S", schedules=[start], key=kms.Key(stack, "K"), queue_name="q")
    (schedule,) = cdk.assertions.Template.from_stack(stack).find_resources("AWS::Scheduler::Schedule").values()
    assert schedule["Properties"]["State"] == "DISABLED" and schedule["Properties"]["FlexibleTimeWindow"] == {"Mode": "OFF"}


def test_the_state_machines_log_groups_may_use_the_lake_key(stage):
    """CloudWatch Logs encrypts the groups with the key as its own principal (storage key policy)."""
    storage = stage.template_json("storage")
    (key,) = [r for r in storage["Resources"].values() if r["Type"] == "AWS::KMS::Key"]
    key_policy = render(key["Properties"]["KeyPolicy"], storage)
    group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/vendedlogs/states/{pipeline_name(stage.settings)}"
    for action in ("kms:GenerateDataKey", "kms:Decrypt", "kms:Encrypt"):
        assert allows([key_policy], action, "*", {"kms:EncryptionContext:aws:logs:arn": group}, principal=f"logs.{REGION}.amazonaws.com")
    assert not allows([key_policy], "kms:Decrypt", "*", {"kms:EncryptionContext:aws:logs:arn": group.replace(ACCOUNT, "444455556666")},
                      principal=f"logs.{REGION}.amazonaws.com")
