"""The EMR TLS certificate construct, synthesized once in a small stack of its own, with all four packs."""
import json
import re
from pathlib import Path
from types import SimpleNamespace

import aws_cdk as cdk
import pytest
from aws_cdk import Acknowledgment, Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from compliance import acknowledgments, add_compliance_packs
from lake_constructs.processing.emr_tls_certificate import EmrTlsCertificate

OBJECT_KEY = "tls/generation-1/emr-certificates.zip"
VALIDITY_DAYS = 1095
PACKS = ("HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321")
# The fixture's bucket and VPC stand in for ones the storage and network stacks secure; only
# the construct under test has to pass the packs on its own.
FIXTURE_FINDINGS = {
    "Bucket": ("AwsSolutions-S1", *(f"{p}-{r}" for p in PACKS for r in ("S3BucketLoggingEnabled", "S3BucketReplicationEnabled"))),
    "Vpc": (
        "AwsSolutions-VPC7",
        *(f"{p}-{r}" for p in PACKS for r in ("VPCFlowLogsEnabled", "VPCDefaultSecurityGroupClosed", "VPCNoUnrestrictedRouteToIGW")),
    ),
}
EXPECTED_ACKNOWLEDGMENTS = {
    ("TlsTest/Certificate/Function", "HIPAA.Security-LambdaDLQ"),
    ("TlsTest/Certificate/Function", "NIST.800.53.R5-LambdaDLQ"),
    ("TlsTest/Certificate/Function", "HIPAA.Security-LambdaConcurrency"),
    ("TlsTest/Certificate/Function", "NIST.800.53.R5-LambdaConcurrency"),
    ("TlsTest/Certificate/Policy", "AwsSolutions-IAM5[Resource::*]"),
}
# A PEM-encoded private key: the label and a base64 body (cryptography's code holds bare labels).
PEM_PRIVATE_KEY = re.compile(rb"-----BEGIN [A-Z ]*PRIVATE KEY-----\s*[A-Za-z0-9+/=\s]{40,}")


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("cdk-tls")
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, "TlsTest")
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    bucket = s3.Bucket(
        stack, "Bucket", encryption_key=key, bucket_key_enabled=True, enforce_ssl=True, versioned=True,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
    )
    vpc = ec2.Vpc(
        stack, "Vpc", max_azs=2, nat_gateways=1,
        subnet_configuration=[
            ec2.SubnetConfiguration(name="cluster", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
            ec2.SubnetConfiguration(name="nat", subnet_type=ec2.SubnetType.PUBLIC, map_public_ip_on_launch=False),
        ],
    )
    for fixture, rules in FIXTURE_FINDINGS.items():
        Validations.of(stack.node.find_child(fixture)).acknowledge(
            *(Acknowledgment(id=rule, reason=f"Test fixture {fixture}: stands in for a resource another stack secures.") for rule in rules)
        )
    certificate = EmrTlsCertificate(
        stack, "Certificate", bucket=bucket, key=key, object_key=OBJECT_KEY, vpc=vpc,
        vpc_subnets=ec2.SubnetSelection(subnet_group_name="cluster"), region=stack.region, validity_days=VALIDITY_DAYS,
    )
    add_compliance_packs(app)
    error = None
    try:
        app.synth()
    except RuntimeError as exc:  # the templates are written all the same
        error = str(exc)
    template = json.loads((outdir / "TlsTest.template.json").read_text())
    return SimpleNamespace(
        app=app, stack=stack, outdir=outdir, error=error, template=template, resources=template["Resources"],
        certificate=certificate, key=key, bucket=bucket, vpc=vpc,
    )


def one(synth, type_: str) -> tuple[str, dict]:
    found = [(logical_id, r) for logical_id, r in synth.resources.items() if r["Type"] == type_]
    assert len(found) == 1, f"expected one {type_}, found {len(found)}"
    return found[0]


def ref(synth, construct) -> dict:
    return synth.stack.resolve(construct)


def statements(synth) -> list[dict]:
    return one(synth, "AWS::IAM::ManagedPolicy")[1]["Properties"]["PolicyDocument"]["Statement"]


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def asset_dir(synth) -> Path:
    s3_key = one(synth, "AWS::Lambda::Function")[1]["Properties"]["Code"]["S3Key"]
    return synth.outdir / f"asset.{s3_key.removesuffix('.zip')}"


def test_all_four_packs_pass_with_only_the_expected_acknowledgments(synth):
    assert synth.error is None, synth.error
    mine = {(a.path, a.rule) for a in acknowledgments(synth.outdir) if a.path.startswith("TlsTest/Certificate")}
    assert mine == EXPECTED_ACKNOWLEDGMENTS


def test_asset_holds_the_handler_and_linux_wheels_for_python_3_14(synth):
    asset = asset_dir(synth)
    assert (asset / "handler.py").read_bytes() == (Path(__file__).resolve().parents[2] / "lambdas/emr_tls_certificate/handler.py").read_bytes()
    for library in ("cryptography/hazmat/bindings/_rust.abi3.so", "_cffi_backend.cpython-314-x86_64-linux-gnu.so"):
        header = (asset / library).read_bytes()[:20]
        # An ELF shared object for x86-64 (e_machine 0x3E), whatever machine ran the synth.
        assert header[:4] == b"\x7fELF" and header[18:20] == b"\x3e\x00", library
    wheel_tags = (next(asset.glob("cryptography-*.dist-info")) / "WHEEL").read_text()
    assert re.search(r"^Tag: cp3\d+-abi3-manylinux[_0-9]*_x86_64$", wheel_tags, re.M), wheel_tags
    assert not (asset / "bin").exists() and not list(asset.rglob("*.pyc"))


def test_no_private_key_material_anywhere_in_cdk_out(synth):
    for path in synth.outdir.rglob("*"):
        if path.is_file():
            assert path.suffix not in (".pem", ".key", ".p12", ".zip"), path
            assert not PEM_PRIVATE_KEY.search(path.read_bytes()), path
    assert "PRIVATE KEY" not in json.dumps(synth.template)


def test_function_runtime_size_and_concurrency(synth):
    props = one(synth, "AWS::Lambda::Function")[1]["Properties"]
    assert props["Runtime"] == "python3.14" and props["Handler"] == "handler.handler"
    assert props["Architectures"] == ["x86_64"] and props["Timeout"] == 120 and props["MemorySize"] == 256
    assert "ReservedConcurrentExecutions" not in props, "Lambda keeps 100 unreserved; a new account may have 10"
    log_group_id, log_group = one(synth, "AWS::Logs::LogGroup")
    assert props["LoggingConfig"]["LogGroup"] == {"Ref": log_group_id}
    assert log_group["Properties"]["KmsKeyId"] == ref(synth, synth.key.key_arn)
    assert log_group["Properties"]["RetentionInDays"] == 365
    assert log_group["DeletionPolicy"] == "Retain", "retain defaults to True"


def test_function_runs_in_the_private_subnets_with_https_egress_only(synth):
    vpc_config = one(synth, "AWS::Lambda::Function")[1]["Properties"]["VpcConfig"]
    private = [ref(synth, s.subnet_id) for s in synth.vpc.select_subnets(subnet_group_name="cluster").subnets]
    assert vpc_config["SubnetIds"] == private
    group_id, group = one(synth, "AWS::EC2::SecurityGroup")
    assert vpc_config["SecurityGroupIds"] == [{"Fn::GetAtt": [group_id, "GroupId"]}]
    egress = group["Properties"]["SecurityGroupEgress"]
    assert [(e["IpProtocol"], e["FromPort"], e["ToPort"]) for e in egress] == [("tcp", 443, 443)]
    assert "SecurityGroupIngress" not in group["Properties"]
    assert not [r for r in synth.resources.values() if r["Type"] in ("AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress")]


def test_custom_resource_is_invoked_directly_with_the_zip_location(synth):
    function_id, _ = one(synth, "AWS::Lambda::Function")
    _, resource = one(synth, "Custom::EmrTlsCertificate")
    props = resource["Properties"]
    assert props["ServiceToken"] == {"Fn::GetAtt": [function_id, "Arn"]}
    assert props["Bucket"] == ref(synth, synth.bucket.bucket_name)
    assert props["Key"] == OBJECT_KEY and props["Key"].endswith(".zip")
    assert props["KmsKeyId"] == ref(synth, synth.key.key_arn) == {"Fn::GetAtt": [synth.stack.get_logical_id(synth.key.node.default_child), "Arn"]}
    assert props["Region"] == {"Ref": "AWS::Region"} and props["ValidityDays"] == VALIDITY_DAYS
    assert not [r for r in synth.resources.values() if r["Type"] == "AWS::Lambda::Permission"], "CloudFormation invokes as the deployer"


def test_s3_uri_is_the_resource_attribute_and_object_arn_the_exact_object(synth):
    resource_id, _ = one(synth, "Custom::EmrTlsCertificate")
    assert ref(synth, synth.certificate.s3_uri) == {"Fn::GetAtt": [resource_id, "S3Uri"]}
    assert ref(synth, synth.certificate.object_arn) == ref(synth, synth.bucket.arn_for_objects(OBJECT_KEY))


def test_role_has_one_customer_managed_policy_and_no_inline_or_aws_managed_ones(synth):
    role = one(synth, "AWS::IAM::Role")[1]["Properties"]
    policy_id, _ = one(synth, "AWS::IAM::ManagedPolicy")
    assert role["ManagedPolicyArns"] == [{"Ref": policy_id}] and "Policies" not in role
    assert not [r for r in synth.resources.values() if r["Type"] == "AWS::IAM::Policy"]
    assert ":iam::aws:policy/" not in json.dumps(synth.template)


def test_policy_names_actions_exactly_and_writes_only_the_zip(synth):
    object_arn = ref(synth, synth.certificate.object_arn)
    for statement in statements(synth):
        assert statement["Effect"] == "Allow"
        assert not [a for a in as_list(statement["Action"]) if "*" in a], statement
        if any(a.startswith("s3:") and a != "s3:ListBucketVersions" for a in as_list(statement["Action"])):
            assert statement["Resource"] == object_arn
    by_action = {a: s for s in statements(synth) for a in as_list(s["Action"])}
    assert {a for a in by_action if a.startswith("s3:")} == {
        "s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:ListBucketVersions"
    }
    listing = by_action["s3:ListBucketVersions"]
    assert listing["Resource"] == ref(synth, synth.bucket.bucket_arn)
    assert listing["Condition"] == {"StringEquals": {"s3:prefix": OBJECT_KEY}}
    assert {a for a in by_action if a.startswith("kms:")} == {"kms:GenerateDataKey"}
    assert by_action["kms:GenerateDataKey"]["Resource"] == ref(synth, synth.key.key_arn)
    assert set(by_action["logs:PutLogEvents"]["Action"]) == {"logs:CreateLogStream", "logs:PutLogEvents"}
    wildcard = [s for s in statements(synth) if s["Resource"] == "*"]
    assert len(wildcard) == 1 and all(a.startswith("ec2:") for a in wildcard[0]["Action"])
