"""What the stage tells you when it breaks: the topic and what may publish to it (AWS's side, from
the rendered key and topic policies), every rule and alarm with its metric, threshold and target,
the budget and the dashboard."""
import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms

from lake_config import pointers
from lake_constructs.monitoring.notification_topic import NotificationTopic
from stacks.pipeline_stack import pipeline_name, sweeper_name
from tests.aws_contracts.iam_policy import ACCOUNT, REGION, allows, render
from tests.orchestration.harness import all_templates, pattern_matches

KEY_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")


def resources(synth, type_: str) -> dict:
    return {k: r for k, r in synth.template_json("monitoring")["Resources"].items() if r["Type"] == type_}


def topic_id(synth) -> str:
    (found,) = resources(synth, "AWS::SNS::Topic")
    return found


def key_policy(synth) -> dict:
    storage = synth.template_json("storage")
    (key,) = [r for r in storage["Resources"].values() if r["Type"] == "AWS::KMS::Key"]
    return render(key["Properties"]["KeyPolicy"], storage)


def alarm_arn(synth, name: str) -> str:
    return f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{synth.settings.prefix}-{name}"


# --- the topic and who may publish -------------------------------------------------------------


def test_the_topic_is_encrypted_with_the_lake_key_and_refuses_plain_http(stage):
    topic = resources(stage, "AWS::SNS::Topic")[topic_id(stage)]["Properties"]
    assert topic["TopicName"] == f"{stage.settings.prefix}-alerts" and "LakeKey" in json.dumps(topic["KmsMasterKeyId"])
    (policy,) = resources(stage, "AWS::SNS::TopicPolicy").values()
    document = render(policy["Properties"]["PolicyDocument"], stage.template_json("monitoring"))
    topic_arn = render({"Ref": topic_id(stage)}, stage.template_json("monitoring"))
    assert not allows([document], "sns:Publish", topic_arn, {"aws:SecureTransport": "false"}, principal="cloudwatch.amazonaws.com")


SENDERS = {
    # service principal -> the request context its KMS and SNS calls carry (the service's guide)
    "cloudwatch.amazonaws.com": lambda synth: {"aws:SourceAccount": ACCOUNT, "aws:SourceArn": alarm_arn(synth, "athena-queries-failed")},
    "budgets.amazonaws.com": lambda synth: {"aws:SourceAccount": ACCOUNT, "aws:SourceArn": f"arn:aws:budgets::{ACCOUNT}:budget/{synth.settings.prefix}-monthly"},
    "events.amazonaws.com": lambda synth: {},
}


@pytest.mark.parametrize("service", sorted(SENDERS))
def test_each_sender_may_use_the_lake_key_for_the_topic(stage, service):
    context = SENDERS[service](stage)
    for action in KEY_ACTIONS:
        assert allows([key_policy(stage)], action, "*", context, principal=service), (service, action)
    assert not allows([key_policy(stage)], "kms:Decrypt", "*", context, principal="sns.amazonaws.com")
    if context:  # bound to this account: another account's alarm or budget gets nothing
        foreign = {key: value.replace(ACCOUNT, "444455556666") for key, value in context.items()}
        assert not allows([key_policy(stage)], "kms:GenerateDataKey", "*", foreign, principal=service)


@pytest.mark.parametrize("service, source", [
    ("cloudwatch.amazonaws.com", lambda s: alarm_arn(s, "schedule-start-failed")),
    ("budgets.amazonaws.com", lambda s: f"arn:aws:budgets::{ACCOUNT}:budget/{s.settings.prefix}-monthly"),
    ("events.amazonaws.com", lambda s: f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{s.settings.prefix}-emr-step-failed"),
])
def test_each_sender_may_publish_for_this_stage_only(stage, service, source):
    template = stage.template_json("monitoring")
    (policy,) = resources(stage, "AWS::SNS::TopicPolicy").values()
    document = render(policy["Properties"]["PolicyDocument"], template)
    topic_arn = render({"Ref": topic_id(stage)}, template)
    context = {"aws:SourceAccount": ACCOUNT, "aws:SourceArn": source(stage), "aws:SecureTransport": "true"}
    assert allows([document], "sns:Publish", topic_arn, context, principal=service)
    other_stage = {**context, "aws:SourceArn": source(stage).replace(stage.settings.prefix, "otherlake-qa")}
    assert not allows([document], "sns:Publish", topic_arn, other_stage, principal=service)


def test_email_subscriptions_come_from_the_settings():
    stack = cdk.Stack(cdk.App(), "Topic")
    NotificationTopic(stack, "T", topic_name="t", prefix="lake-dev", key=kms.Key(stack, "K"), emails=["a@example.com", "b@example.com"])
    subscriptions = cdk.assertions.Template.from_stack(stack).find_resources("AWS::SNS::Subscription").values()
    assert sorted((s["Properties"]["Protocol"], s["Properties"]["Endpoint"]) for s in subscriptions) == [
        ("email", "a@example.com"), ("email", "b@example.com")]


# --- failure rules: the event they match, the message they send ---------------------------------


def transformed(rule: dict, template: dict, event: dict) -> str:
    """What EventBridge sends the topic for `event`: the input template with each path's value."""
    (target,) = rule["Properties"]["Targets"]
    assert target["Arn"] == {"Ref": topic_id_of(template)}
    transformer = target["InputTransformer"]
    text = render(transformer["InputTemplate"], template)
    for name, path in transformer["InputPathsMap"].items():
        value = event
        for part in path.removeprefix("$.").split("."):
            value = value[part]
        text = text.replace(f"<{name}>", str(value))
    return json.loads(text)


def topic_id_of(template: dict) -> str:
    (found,) = [k for k, r in template["Resources"].items() if r["Type"] == "AWS::SNS::Topic"]
    return found


def rule(synth, name: str) -> dict:
    (found,) = [r for r in resources(synth, "AWS::Events::Rule").values() if r["Properties"].get("Name") == f"{synth.settings.prefix}-{name}"]
    return found


def event(source: str, detail_type: str, detail: dict) -> dict:
    return {"version": "0", "id": "1", "detail-type": detail_type, "source": source, "account": ACCOUNT,
            "time": "2026-01-02T04:20:00Z", "region": REGION, "resources": [], "detail": detail}


def logs_prefix(synth) -> str:
    return f"s3://{synth.settings.prefix}-logs-{ACCOUNT}-{REGION}/emr/"


def test_a_failed_step_of_the_stage_is_announced_with_its_logs_and_the_command_to_inspect_it(stage):
    step = {"severity": "ERROR", "actionOnFailure": "CONTINUE", "stepId": "s-2AB", "name": f"{stage.settings.prefix}-curate-sales",
            "clusterId": "j-1AB", "state": "FAILED", "message": "Step s-2AB failed"}
    found = rule(stage, "emr-step-failed")
    pattern = render(found["Properties"]["EventPattern"], stage.template_json("monitoring"))
    assert pattern_matches(pattern, event("aws.emr", "EMR Step Status Change", step))
    assert not pattern_matches(pattern, event("aws.emr", "EMR Step Status Change", {**step, "state": "COMPLETED"}))
    assert not pattern_matches(pattern, event("aws.emr", "EMR Step Status Change", {**step, "name": "otherlake-dev-curate-sales"}))
    message = transformed(found, stage.template_json("monitoring"), event("aws.emr", "EMR Step Status Change", step))
    assert message == pointers.STEP_FAILED.format(step_name=step["name"], step_id="s-2AB", cluster_id="j-1AB", state="FAILED",
                                                  message="Step s-2AB failed", log_uri=logs_prefix(stage))
    assert f"{logs_prefix(stage)}j-1AB/steps/s-2AB/" in message


def test_a_cluster_of_the_stage_that_terminated_with_errors_is_announced(stage):
    detail = {"name": stage.settings.prefix, "clusterId": "j-1AB", "state": "TERMINATED_WITH_ERRORS",
              "message": "Amazon EMR Cluster j-1AB has terminated with errors with a reason of VALIDATION_ERROR."}
    found = rule(stage, "emr-cluster-failed")
    pattern = render(found["Properties"]["EventPattern"], stage.template_json("monitoring"))
    assert pattern_matches(pattern, event("aws.emr", "EMR Cluster State Change", detail))
    assert not pattern_matches(pattern, event("aws.emr", "EMR Cluster State Change", {**detail, "state": "TERMINATED"}))
    message = transformed(found, stage.template_json("monitoring"), event("aws.emr", "EMR Cluster State Change", detail))
    assert message == pointers.CLUSTER_FAILED.format(cluster_name=detail["name"], cluster_id="j-1AB", state=detail["state"],
                                                     message=detail["message"], log_uri=logs_prefix(stage))


def test_a_failed_crawler_of_the_stage_is_announced_with_its_log(stage):
    detail = {"crawlerName": f"{stage.settings.prefix}-raw", "errorMessage": "Internal Service Exception", "state": "Failed",
              "cloudWatchLogLink": "https://console.aws.amazon.com/cloudwatch/home#logEventViewer:group=/aws-glue/crawlers"}
    found = rule(stage, "crawler-failed")
    pattern = render(found["Properties"]["EventPattern"], stage.template_json("monitoring"))
    assert pattern_matches(pattern, event("aws.glue", "Glue Crawler State Change", detail))
    assert not pattern_matches(pattern, event("aws.glue", "Glue Crawler State Change", {**detail, "state": "Succeeded"}))
    message = transformed(found, stage.template_json("monitoring"), event("aws.glue", "Glue Crawler State Change", detail))
    assert message == pointers.CRAWLER_FAILED.format(crawler=detail["crawlerName"], state="Failed", message=detail["errorMessage"],
                                                     log_link=detail["cloudWatchLogLink"])


def test_a_pipeline_run_that_failed_timed_out_or_was_stopped_is_announced(stage):
    arn = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{pipeline_name(stage.settings)}"
    found = rule(stage, "pipeline-run-failed")
    pattern = render(found["Properties"]["EventPattern"], stage.template_json("monitoring"))
    for status, expected in (("FAILED", True), ("TIMED_OUT", True), ("ABORTED", True), ("SUCCEEDED", False), ("RUNNING", False)):
        detail = {"executionArn": f"{arn.replace('stateMachine', 'execution')}:run-1", "stateMachineArn": arn, "name": "run-1", "status": status}
        assert pattern_matches(pattern, event("aws.states", "Step Functions Execution Status Change", detail)) is expected
    sweeper = arn.replace(pipeline_name(stage.settings), sweeper_name(stage.settings))
    sweeper_failed = {"executionArn": "x:y", "stateMachineArn": sweeper, "name": "y", "status": "FAILED"}
    assert pattern_matches(pattern, event("aws.states", "Step Functions Execution Status Change", sweeper_failed)) == (
        stage.settings.emr.mode == "transient")
    message = transformed(found, stage.template_json("monitoring"), event("aws.states", "Step Functions Execution Status Change", detail | {"status": "TIMED_OUT"}))
    assert "run-1" in message and "TIMED_OUT" in message and f"/aws/vendedlogs/states/{pipeline_name(stage.settings)}" in message
    assert f"aws stepfunctions describe-execution --execution-arn {detail['executionArn']}" in message


# --- alarms: metric, threshold, target --------------------------------------------------------


def alarm(synth, name: str) -> dict:
    (found,) = [r["Properties"] for r in resources(synth, "AWS::CloudWatch::Alarm").values()
                if r["Properties"]["AlarmName"] == f"{synth.settings.prefix}-{name}"]
    assert found["AlarmActions"] == [{"Ref": topic_id(synth)}]
    return found


def math_metrics(props: dict) -> dict:
    return {m["Id"]: m["MetricStat"] for m in props["Metrics"] if "MetricStat" in m}


@pytest.mark.parametrize("name, state", [("athena-queries-failed", "FAILED"), ("athena-queries-cancelled", "CANCELED")])
def test_athena_queries_that_fail_or_are_cancelled_alarm_at_the_first_one(stage, name, state):
    props = alarm(stage, name)
    assert (props["Threshold"], props["ComparisonOperator"], props["EvaluationPeriods"]) == (1, "GreaterThanOrEqualToThreshold", 1)
    assert props["TreatMissingData"] == "notBreaching"
    (expression,) = [m["Expression"] for m in props["Metrics"] if "Expression" in m]
    stats = math_metrics(props)
    assert expression == " + ".join(f"FILL({i}, 0)" for i in stats)
    workgroup = render(stage.stacks["analytics"].resolve(stage.stacks["analytics"].workgroup.name), stage.template_json("analytics"))
    for stat in stats.values():
        metric = stat["Metric"]
        assert (metric["Namespace"], metric["MetricName"], stat["Stat"], stat["Period"]) == ("AWS/Athena", "TotalExecutionTime", "SampleCount", 300)
        dims = {d["Name"]: render(d["Value"], stage.template_json("monitoring"), {}, all_templates(stage)) for d in metric["Dimensions"]}
        assert dims["QueryState"] == state and dims["WorkGroup"] == workgroup
    assert sorted(d["Value"] for s in stats.values() for d in s["Metric"]["Dimensions"] if d["Name"] == "QueryType") == ["DDL", "DML"]
    description = render(props["AlarmDescription"], stage.template_json("monitoring"), {}, all_templates(stage))
    assert f"{stage.settings.analytics.bytes_scanned_cutoff_mb} MB" in description and f"--work-group {workgroup}" in description


def test_spice_ingestion_failures_alarm_where_quicksight_is_on(stage):
    names = [r["Properties"]["AlarmName"] for r in resources(stage, "AWS::CloudWatch::Alarm").values()]
    spice = [n for n in names if "spice-ingestion-failed" in n]
    if not stage.settings.quicksight.enabled:
        assert spice == []
        return
    data_sets = sorted(r["Properties"]["DataSetId"] for r in stage.template_json("quicksight")["Resources"].values()
                       if r["Type"] == "AWS::QuickSight::DataSet" and r["Properties"].get("ImportMode") == "SPICE")
    assert data_sets and len(spice) == len(data_sets)
    for data_set in data_sets:
        props = alarm(stage, f"spice-ingestion-failed-{data_set}")
        assert (props["Namespace"], props["MetricName"], props["Statistic"], props["Threshold"]) == ("AWS/QuickSight", "IngestionErrorCount", "Sum", 1)
        assert props["Dimensions"] == [{"Name": "DatasetId", "Value": data_set}]


def test_a_long_running_cluster_idle_past_its_timeout_alarms(stage):
    names = [r["Properties"]["AlarmName"] for r in resources(stage, "AWS::CloudWatch::Alarm").values()]
    if stage.settings.emr.mode != "long_running":
        assert f"{stage.settings.prefix}-cluster-idle-past-timeout" not in names  # the sweeper covers transient clusters
        return
    props = alarm(stage, "cluster-idle-past-timeout")
    idle = stage.settings.emr.auto_termination_seconds
    assert (props["Namespace"], props["MetricName"], props["Statistic"], props["Threshold"]) == ("AWS/ElasticMapReduce", "IsIdle", "Minimum", 1)
    assert props["Period"] * (props["EvaluationPeriods"] - 1) >= idle, "idle at least the timeout, plus one period"
    # CloudWatch: an evaluation range of at most 7 days with hourly periods, one day with shorter ones.
    assert props["Period"] * props["EvaluationPeriods"] <= (7 * 86400 if props["Period"] >= 3600 else 86400)
    (dimension,) = props["Dimensions"]
    (cluster_id,) = [k for k, r in stage.template_json("emr")["Resources"].items() if r["Type"] == "AWS::EMR::Cluster"]
    assert dimension["Name"] == "JobFlowId" and render(dimension["Value"], stage.template_json("monitoring"), {}, all_templates(stage)) == cluster_id


def test_a_schedule_that_could_not_start_the_pipeline_alarms_on_its_dead_letter_queue(stage):
    props = alarm(stage, "schedule-start-failed")
    assert (props["Namespace"], props["MetricName"], props["Statistic"], props["Threshold"]) == (
        "AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum", 1)
    (dimension,) = props["Dimensions"]
    (queue_id,) = [k for k, r in stage.template_json("pipeline")["Resources"].items() if r["Type"] == "AWS::SQS::Queue"]
    assert dimension["Name"] == "QueueName"
    assert render(dimension["Value"], stage.template_json("monitoring"), {f"{queue_id}.QueueName": "the-dlq"}, all_templates(stage)) == "the-dlq"
    assert "aws sqs receive-message" in json.dumps(props["AlarmDescription"])


# --- budget and dashboard ---------------------------------------------------------------------


def test_the_budget_watches_the_stages_tags_against_the_configured_limit(stage):
    (budget,) = resources(stage, "AWS::Budgets::Budget").values()
    data = budget["Properties"]["Budget"]
    configured = stage.settings.monitoring.budget
    assert (data["BudgetType"], data["TimeUnit"]) == ("COST", "MONTHLY")
    assert data["BudgetLimit"] == {"Amount": configured.monthly_limit_usd, "Unit": "USD"}
    assert data["FilterExpression"] == {"And": [
        {"Tags": {"Key": "project", "Values": [stage.settings.project], "MatchOptions": ["EQUALS"]}},
        {"Tags": {"Key": "stage", "Values": [stage.settings.stage], "MatchOptions": ["EQUALS"]}},
    ]}
    notifications = {(n["Notification"]["NotificationType"], n["Notification"]["Threshold"]): n for n in budget["Properties"]["NotificationsWithSubscribers"]}
    assert set(notifications) == {("FORECASTED", configured.forecast_threshold_percent), ("ACTUAL", 100)}
    for n in notifications.values():
        assert n["Notification"]["ThresholdType"] == "PERCENTAGE" and n["Notification"]["ComparisonOperator"] == "GREATER_THAN"
        assert n["Subscribers"] == [{"SubscriptionType": "SNS", "Address": {"Ref": topic_id(stage)}}]


def dashboard(synth) -> dict:
    (board,) = resources(synth, "AWS::CloudWatch::Dashboard").values()
    return json.loads(render(board["Properties"]["DashboardBody"], synth.template_json("monitoring"), {}, all_templates(synth)))


def test_the_dashboard_shows_runs_failures_bytes_scanned_and_cost_crawlers_and_clusters(stage):
    widgets = dashboard(stage)["widgets"]
    titles = " | ".join(w["properties"]["title"] for w in widgets)
    for topic in ("Pipeline runs per day", "Pipeline run duration", "Curation steps that did not complete", "bytes scanned per query",
                  "their cost", "Crawler run time", "EMR clusters"):
        assert topic in titles, topic
    text = json.dumps(widgets)
    assert f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{pipeline_name(stage.settings)}" in text
    assert f"/aws/vendedlogs/states/{pipeline_name(stage.settings)}" in text
    assert "ExecutionsFailed" in text and "ProcessedBytes" in text and "1000000000000 * 5" in text
    assert "Glue Crawler State Change" in text and "COUNT(IsIdle)" in text
    assert all(w["x"] in (0, 12) and w["width"] == 12 for w in widgets)


def test_a_placeholder_the_stack_does_not_fill_fails_synth_naming_the_file():
    from lake_constructs.monitoring.lake_dashboard import fill_placeholders

    with pytest.raises(ValueError, match=r"^dashboard.json: unknown placeholders Nope; allowed: AWS::Region, WorkGroup$"):
        fill_placeholders('{"region":"${AWS::Region}","q":"${Nope}"}', {"WorkGroup": "wg"})
