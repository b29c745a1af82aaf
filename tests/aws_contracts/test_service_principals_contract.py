"""Services that use the lake key or write into a lake bucket without a role of ours: the key
policy and bucket policies must grant them exactly the request they make, evaluated from the
templates (principal, action, resource, encryption context, source ARN)."""
import pytest

from tests.aws_contracts.iam_policy import ACCOUNT, REGION, allows, key_policy_allows, render, role_policies, stack_outputs

LOGS = {"Service": f"logs.{REGION}.amazonaws.com"}
S3_LOG_DELIVERY = {"Service": "logging.s3.amazonaws.com"}
# What CloudWatch Logs calls to encrypt and read a log group's events (CloudWatch Logs User
# Guide, "Encrypt log data in CloudWatch Logs using AWS KMS"), always with the log group's ARN as
# encryption context.
LOGS_KEY_ACTIONS = ("kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo")


def resources_of(template: dict, type_: str) -> dict:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == type_}


def bucket_names(template: dict, pseudo: dict) -> dict[str, str]:
    """Logical id -> bucket name, so Ref and GetAtt Arn render as S3 would see them."""
    return {k: render(r["Properties"]["BucketName"], template, pseudo=pseudo) for k, r in resources_of(template, "AWS::S3::Bucket").items()}


class Lake:
    def __init__(self, synth):
        self.synth = synth
        # A stage bound to an account (stages.<stage>.account) has it literally in its templates;
        # an unbound one gets the evaluator's fake account for AWS::AccountId.
        self.account = synth.settings.account or ACCOUNT
        self.pseudo = {"AWS::AccountId": self.account}
        self.storage = synth.template_json("storage")
        (self.key_id, key) = next(iter(resources_of(self.storage, "AWS::KMS::Key").items()))
        self.key_policy = render(key["Properties"]["KeyPolicy"], self.storage, pseudo=self.pseudo)
        self.key_arn = render({"Fn::GetAtt": [self.key_id, "Arn"]}, self.storage, pseudo=self.pseudo)
        self.outputs = stack_outputs(synth.stacks["storage"].stack_name, self.storage, pseudo=self.pseudo)

    def uses_the_lake_key(self, template: dict, value) -> bool:
        return render(value, template, self.outputs, pseudo=self.pseudo) == self.key_arn

    def logs_may_use_the_key_for(self, log_group_arn: str) -> list[str]:
        context = {"kms:EncryptionContext:aws:logs:arn": log_group_arn}
        return [a for a in LOGS_KEY_ACTIONS if not key_policy_allows(self.key_policy, [], LOGS, a, self.key_arn, context)]


@pytest.fixture(params=["dev", "prod"])
def lake(request) -> Lake:
    return Lake(request.getfixturevalue(request.param))


def log_group_arn(name: str, account: str) -> str:
    return f"arn:aws:logs:{REGION}:{account}:log-group:{name}"


def test_cloudwatch_logs_may_encrypt_every_log_group_of_the_stage_with_the_lake_key(lake):
    groups = []
    for stack in lake.synth.stacks:
        template = lake.synth.template_json(stack)
        for logical_id, group in resources_of(template, "AWS::Logs::LogGroup").items():
            assert lake.uses_the_lake_key(template, group["Properties"]["KmsKeyId"]), f"{stack}/{logical_id}"
            groups.append(log_group_arn(render(group["Properties"].get("LogGroupName", logical_id), template, pseudo=lake.pseudo), lake.account))
    assert len(groups) >= 2  # flow logs, the certificate function
    for arn in groups:
        assert lake.logs_may_use_the_key_for(arn) == [], arn


def test_cloudwatch_logs_may_encrypt_the_glue_crawler_log_groups(lake):
    """Glue writes crawler logs to /aws-glue/crawlers-role/<role>-<security configuration>, and
    CloudWatch Logs encrypts them with the key of the security configuration."""
    catalog = lake.synth.template_json("catalog")
    (configuration,) = resources_of(catalog, "AWS::Glue::SecurityConfiguration").values()
    encryption = configuration["Properties"]["EncryptionConfiguration"]["CloudWatchEncryption"]
    assert encryption["CloudWatchEncryptionMode"] == "SSE-KMS" and lake.uses_the_lake_key(catalog, encryption["KmsKeyArn"])
    for crawler in resources_of(catalog, "AWS::Glue::Crawler").values():
        role = render(crawler["Properties"]["Role"], catalog, pseudo=lake.pseudo).rsplit("/", 1)[-1]
        name = f"/aws-glue/crawlers-role/{role}-{configuration['Properties']['Name']}"
        assert lake.logs_may_use_the_key_for(log_group_arn(name, lake.account)) == [], name


def test_cloudwatch_logs_of_another_account_may_not_use_the_key(lake):
    other = f"arn:aws:logs:{REGION}:444455556666:log-group:theirs"
    assert lake.logs_may_use_the_key_for(other) == list(LOGS_KEY_ACTIONS)


def test_emr_may_encrypt_the_cluster_logs_with_the_lake_key(lake):
    """EMR's log pusher on the nodes writes the logs under LogUri with SSE-KMS as the instance role:
    the key policy must let that role use the key (here through the account, so IAM decides)."""
    emr = lake.synth.template_json("emr")
    cluster = lake.synth.emr_cluster_properties()  # long-running, or the transient one the pipeline creates
    assert lake.uses_the_lake_key(emr, cluster["LogEncryptionKmsKeyId"])
    (role_id,) = [k for k in resources_of(emr, "AWS::IAM::Role") if k.startswith("RolesInstanceRole")]
    role = {"AWS": render({"Fn::GetAtt": [role_id, "Arn"]}, emr, pseudo=lake.pseudo)}
    policies = role_policies(emr, role_id, lake.outputs, pseudo=lake.pseudo)
    logs_bucket = f"arn:aws:s3:::{lake.synth.settings.prefix}-logs-{lake.account}-{REGION}"
    context = {"kms:ViaService": f"s3.{REGION}.amazonaws.com", "kms:EncryptionContext:aws:s3:arn": logs_bucket}
    for action in ("kms:GenerateDataKey", "kms:Encrypt"):
        assert key_policy_allows(lake.key_policy, policies, role, action, lake.key_arn, context), action


def access_log_sources(synth, pseudo: dict) -> list[tuple[str, str, str]]:
    """(source bucket ARN, log prefix, logs bucket logical id) of every bucket that logs its access."""
    sources = []
    for stack in synth.stacks:
        template = synth.template_json(stack)
        names = bucket_names(template, pseudo)
        for logical_id, bucket in resources_of(template, "AWS::S3::Bucket").items():
            logging = bucket["Properties"].get("LoggingConfiguration")
            if logging:
                destination = render(logging["DestinationBucketName"], template, names, pseudo=pseudo)
                sources.append((f"arn:aws:s3:::{names[logical_id]}", logging["LogFilePrefix"], destination))
    return sources


def test_s3_may_deliver_every_buckets_access_logs_into_the_logs_bucket(lake):
    names = bucket_names(lake.storage, lake.pseudo)
    (policy,) = [p for p in resources_of(lake.storage, "AWS::S3::BucketPolicy").values() if p["Properties"]["Bucket"]["Ref"].startswith("LogsBucket")]
    document = render(policy["Properties"]["PolicyDocument"], lake.storage, names, pseudo=lake.pseudo)
    logs_bucket = names[policy["Properties"]["Bucket"]["Ref"]]
    sources = access_log_sources(lake.synth, lake.pseudo)
    assert len(sources) == 4 if "emr" in lake.synth.stacks else 3  # raw, curated, results (+ EMR artifacts)
    for source_arn, prefix, destination in sources:
        assert destination == logs_bucket
        key = f"arn:aws:s3:::{logs_bucket}/{prefix}2026-01-01-00-00-00-0123456789ABCDEF"
        context = {"aws:SourceArn": source_arn, "aws:SourceAccount": lake.account, "aws:SecureTransport": "true"}
        assert allows([document], "s3:PutObject", key, context, S3_LOG_DELIVERY), source_arn
        # The confused-deputy guard: another account's bucket, or this bucket writing elsewhere, is refused.
        assert not allows([document], "s3:PutObject", key, context | {"aws:SourceAccount": "444455556666"}, S3_LOG_DELIVERY)
        assert not allows([document], "s3:PutObject", f"arn:aws:s3:::{logs_bucket}/elsewhere/x", context, S3_LOG_DELIVERY)


def test_the_logs_bucket_is_sse_s3_because_access_logging_cannot_use_kms(lake):
    names = bucket_names(lake.storage, lake.pseudo)
    (logs_id,) = [k for k in names if k.startswith("LogsBucket")]
    encryption = lake.storage["Resources"][logs_id]["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert [rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] for rule in encryption] == ["AES256"]
