"""The evaluator itself: AWS's documented evaluation rules, checked on small policies and on the
AmazonEMRServicePolicy_v2 document that moto ships."""
import json

import pytest
from moto.iam.aws_managed_policies import aws_managed_policies_data

from tests.aws_contracts.iam_policy import Unsupported, allows, decision, key_policy_allows, render, stack_outputs


def policy(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


ALLOW_GET = {"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::lake/raw/*"}


def test_wildcards_case_rules():
    assert allows([policy(ALLOW_GET)], "s3:getobject", "arn:aws:s3:::lake/raw/a.csv")
    assert not allows([policy(ALLOW_GET)], "s3:GetObject", "arn:aws:s3:::lake/RAW/a.csv")
    # "raw/*" does not cover the bare prefix key "raw".
    assert not allows([policy(ALLOW_GET)], "s3:GetObject", "arn:aws:s3:::lake/raw")


def test_explicit_deny_wins_and_not_action():
    deny = {"Effect": "Deny", "NotAction": "s3:GetObject", "Resource": "*"}
    assert decision([policy(ALLOW_GET, deny)], "s3:GetObject", "arn:aws:s3:::lake/raw/a") == "allow"
    everything = {"Effect": "Allow", "Action": "*", "Resource": "*"}
    assert decision([policy(everything, deny)], "s3:PutObject", "arn:aws:s3:::lake/raw/a") == "explicit-deny"
    assert decision([policy(ALLOW_GET)], "s3:PutObject", "arn:aws:s3:::lake/raw/a") == "implicit-deny"


def test_conditions_missing_keys_and_set_qualifiers():
    tagged = {"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*",
              "Condition": {"StringEquals": {"aws:RequestTag/team": "lake"}}}
    assert allows([policy(tagged)], "ec2:RunInstances", "*", {"aws:RequestTag/team": "lake"})
    assert not allows([policy(tagged)], "ec2:RunInstances", "*", {})
    negated = dict(tagged, Condition={"StringNotEquals": {"aws:RequestTag/team": "other"}})
    assert allows([policy(negated)], "ec2:RunInstances", "*", {})  # AWS: a missing key satisfies a negated operator
    any_of = dict(tagged, Condition={"ForAnyValue:StringLike": {"aws:TagKeys": ["lake-*"]}})
    assert allows([policy(any_of)], "ec2:RunInstances", "*", {"aws:TagKeys": ["x", "lake-1"]})
    assert not allows([policy(any_of)], "ec2:RunInstances", "*", {"aws:TagKeys": ["x"]})
    null = dict(tagged, Condition={"Null": {"aws:RequestTag/team": "false"}})
    assert allows([policy(null)], "ec2:RunInstances", "*", {"aws:RequestTag/team": "x"})
    assert not allows([policy(null)], "ec2:RunInstances", "*", {})
    arn = dict(tagged, Condition={"ArnLike": {"aws:SourceArn": "arn:aws:emr:*:111122223333:*"}})
    assert allows([policy(arn)], "ec2:RunInstances", "*", {"aws:SourceArn": "arn:aws:emr:eu-west-1:111122223333:cluster/j-1"})


def test_unknown_syntax_is_refused_not_skipped():
    dated = {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"DateLessThan": {"aws:CurrentTime": "2030"}}}
    with pytest.raises(Unsupported):
        allows([policy(dated)], "s3:GetObject", "x", {"aws:CurrentTime": "2026"})
    variable = {"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b/${aws:username}/*"}
    with pytest.raises(Unsupported):
        allows([policy(variable)], "s3:GetObject", "arn:aws:s3:::b/x/y")


def test_policy_variables_take_the_requests_values():
    own = {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::${aws:PrincipalAccount}:role/cdk-*"}
    context = {"aws:PrincipalAccount": "111122223333"}
    assert allows([policy(own)], "sts:AssumeRole", "arn:aws:iam::111122223333:role/cdk-deploy", context)
    assert not allows([policy(own)], "sts:AssumeRole", "arn:aws:iam::444455556666:role/cdk-deploy", context)


def test_render_intrinsics():
    template = {"Resources": {"Key": {"Type": "AWS::KMS::Key"}}}
    value = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::b-", {"Ref": "AWS::AccountId"}, "/x"]]}
    assert render(value, template) == "arn:aws:s3:::b-111122223333/x"
    assert render({"Fn::GetAtt": ["Key", "Arn"]}, template) == "arn:aws:kms:eu-west-1:111122223333:key/Key"
    assert render({"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}"}, template) == "arn:aws:logs:eu-west-1"
    data_set = {"Resources": {"Sales": {"Type": "AWS::QuickSight::DataSet"}}}
    assert render({"Fn::GetAtt": ["Sales", "Arn"]}, data_set, {"Sales": "lake-prod-sales"}) == "arn:aws:quicksight:eu-west-1:111122223333:dataset/lake-prod-sales"


def test_render_another_stacks_output():
    storage = {"Resources": {"Key": {"Type": "AWS::KMS::Key"}}, "Outputs": {"KeyArn": {"Value": {"Fn::GetAtt": ["Key", "Arn"]}}}}
    reference = {"Fn::GetStackOutput": {"StackName": "lake-storage", "OutputName": "KeyArn", "Region": "eu-west-1"}}
    names = stack_outputs("lake-storage", storage)
    assert render(reference, {}, names) == "arn:aws:kms:eu-west-1:111122223333:key/Key"
    assert render(reference, {}) == "<lake-storage.KeyArn>"


def test_render_weak_cross_stack_references():
    output = {"Fn::GetStackOutput": {"StackName": "lake-storage", "Region": {"Ref": "AWS::Region"}, "OutputName": "KeyArn"}}
    assert render({"Fn::Join": ["", [output, "/x"]]}, {}) == "<lake-storage.KeyArn>/x"
    names = {"lake-storage.KeyArn": "arn:aws:kms:eu-west-1:111122223333:key/k"}
    assert render(output, {}, names=names) == "arn:aws:kms:eu-west-1:111122223333:key/k"


def test_emr_service_policy_v2_needs_the_request_tag():
    """The rule that kept the first round's cluster from launching, on the real policy text."""
    document = json.loads(aws_managed_policies_data)["AmazonEMRServicePolicy_v2"]["Document"]
    instance = "arn:aws:ec2:eu-west-1:111122223333:instance/*"
    tag = "aws:RequestTag/for-use-with-amazon-emr-managed-policies"
    assert allows([document], "ec2:RunInstances", instance, {tag: "true"})
    assert not allows([document], "ec2:RunInstances", instance, {})


# --- resource policies: principals ----------------------------------------------------------

ACCOUNT_ROOT = {"AWS": "arn:aws:iam::111122223333:root"}
ROLE = {"AWS": "arn:aws:iam::111122223333:role/reader"}
OTHER_ACCOUNT_ROLE = {"AWS": "arn:aws:iam::444455556666:role/reader"}
LOGS = {"Service": "logs.eu-west-1.amazonaws.com"}
KEY = "arn:aws:kms:eu-west-1:111122223333:key/k"


def test_principal_forms():
    by_service = {"Effect": "Allow", "Principal": {"Service": LOGS["Service"]}, "Action": "kms:Encrypt", "Resource": "*"}
    assert allows([policy(by_service)], "kms:Encrypt", KEY, principal=LOGS)
    assert not allows([policy(by_service)], "kms:Encrypt", KEY, principal={"Service": "logs.us-east-1.amazonaws.com"})
    assert not allows([policy(by_service)], "kms:Encrypt", KEY, principal=ROLE)
    by_account = dict(by_service, Principal=ACCOUNT_ROOT)
    assert allows([policy(by_account)], "kms:Encrypt", KEY, principal=ROLE), "an account principal covers its roles"
    assert not allows([policy(by_account)], "kms:Encrypt", KEY, principal=OTHER_ACCOUNT_ROLE)
    assert not allows([policy(by_account)], "kms:Encrypt", KEY, principal=LOGS)
    by_bare_id = dict(by_service, Principal={"AWS": "111122223333"})
    assert allows([policy(by_bare_id)], "kms:Encrypt", KEY, principal=ROLE)
    exact_role = dict(by_service, Principal={"AWS": ["arn:aws:iam::111122223333:role/other", ROLE["AWS"]]})
    assert allows([policy(exact_role)], "kms:Encrypt", KEY, principal=ROLE)
    assert not allows([policy(exact_role)], "kms:Encrypt", KEY, principal={"AWS": "arn:aws:iam::111122223333:role/x"})
    everyone_denied = {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "kms:*", "Resource": "*"}
    assert decision([policy(by_service, everyone_denied)], "kms:Encrypt", KEY, principal=LOGS) == "explicit-deny"
    not_principal = {"Effect": "Deny", "NotPrincipal": {"Service": LOGS["Service"]}, "Action": "kms:*", "Resource": "*"}
    assert decision([policy(by_service, not_principal)], "kms:Encrypt", KEY, principal=LOGS) == "allow"
    assert decision([policy(by_account, not_principal)], "kms:Encrypt", KEY, principal=ROLE) == "explicit-deny"


def test_a_resource_policy_needs_a_principal_and_rendered_values():
    statement = {"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "s3:PutObject", "Resource": "*"}
    with pytest.raises(Unsupported):
        allows([policy(statement)], "s3:PutObject", "arn:aws:s3:::b/k")
    unrendered = dict(statement, Principal={"AWS": {"Fn::GetAtt": ["Role", "Arn"]}})
    with pytest.raises(Unsupported):
        allows([policy(unrendered)], "s3:PutObject", "arn:aws:s3:::b/k", principal=ROLE)


def test_key_policy_delegation_to_iam():
    root = {"Effect": "Allow", "Principal": ACCOUNT_ROOT, "Action": "kms:*", "Resource": "*"}
    identity = policy({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY})
    assert key_policy_allows(policy(root), [identity], ROLE, "kms:Decrypt", KEY)
    assert not key_policy_allows(policy(root), [identity], ROLE, "kms:Encrypt", KEY), "IAM must allow it too"
    assert not key_policy_allows(policy(root), [], LOGS, "kms:Decrypt", KEY), "a service is not an IAM principal of the account"
    direct = {"Effect": "Allow", "Principal": ROLE, "Action": "kms:Encrypt", "Resource": "*"}
    assert key_policy_allows(policy(root, direct), [], ROLE, "kms:Encrypt", KEY), "a key policy naming the role needs no IAM policy"
    deny = {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*"}
    assert not key_policy_allows(policy(root, deny), [identity], ROLE, "kms:Decrypt", KEY)


def test_render_in_another_partition():
    value = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::", {"Ref": "AWS::AccountId"}, ":role/r"]]}
    china = {"AWS::Partition": "aws-cn", "AWS::Region": "cn-north-1", "AWS::URLSuffix": "amazonaws.com.cn"}
    assert render(value, {}, pseudo=china) == "arn:aws-cn:iam::111122223333:role/r"
    template = {"Resources": {"Role": {"Type": "AWS::IAM::Role"}}}
    assert render({"Fn::GetAtt": ["Role", "Arn"]}, template, pseudo=china) == "arn:aws-cn:iam::111122223333:role/Role"
    assert render({"Fn::Sub": "ec2.${AWS::URLSuffix}"}, {}, pseudo=china) == "ec2.amazonaws.com.cn"


def test_principals_may_be_given_as_strings():
    key_policy = policy(
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"},
        {"Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"}, "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
         "Resource": "*", "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}}},
    )
    context = {"aws:SourceAccount": "111122223333"}
    assert allows([key_policy], "kms:GenerateDataKey", "key", context, principal="cloudwatch.amazonaws.com")
    assert not allows([key_policy], "kms:GenerateDataKey", "key", context, principal="events.amazonaws.com")
    assert not allows([key_policy], "kms:GenerateDataKey", "key", {}, principal="cloudwatch.amazonaws.com")
    # An account's root stands for its principals; another account's role is not one of them.
    assert allows([key_policy], "kms:Decrypt", "key", principal="arn:aws:iam::111122223333:role/reader")
    assert not allows([key_policy], "kms:Decrypt", "key", principal="arn:aws:iam::444455556666:role/reader")
    anyone = policy({"Effect": "Allow", "Principal": "*", "Action": "sns:Publish", "Resource": "topic"})
    assert allows([anyone], "sns:Publish", "topic", principal="events.amazonaws.com")


def test_render_cross_stack_outputs_and_attribute_names():
    producer = {"Resources": {"Group": {"Type": "AWS::EC2::SecurityGroup"}},
                "Outputs": {"ExportGroup": {"Value": {"Fn::GetAtt": ["Group", "GroupId"]}}}}
    reference = {"Fn::GetStackOutput": {"StackName": "producer", "OutputName": "ExportGroup", "Region": {"Ref": "AWS::Region"}}}
    assert render(reference, {}, {"Group.GroupId": "sg-0123"}, {"producer": producer}) == "sg-0123"
    assert render(reference, {}) == "<producer.ExportGroup>"


def test_role_policies_follow_managed_policy_arns_of_the_template():
    from tests.aws_contracts.iam_policy import role_policies

    document = policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"})
    template = {"Resources": {
        "Role": {"Type": "AWS::IAM::Role", "Properties": {"ManagedPolicyArns": [{"Ref": "Policy"}, "arn:aws:iam::aws:policy/X"]}},
        "Policy": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": document}},
    }}
    assert role_policies(template, "Role") == [document]
