"""regional_arn and the pseudo-parameter tokens it reads once per process."""
import aws_cdk as cdk

from lake_constructs.shared.arns import pseudo_parameters, regional_arn


def test_the_cached_tokens_resolve_in_every_app_of_the_process():
    pseudo_parameters()  # read once, as the first app's stacks do
    for name in ("First", "Second"):
        stack = cdk.Stack(cdk.App(), name)
        assert [stack.resolve(token) for token in pseudo_parameters()] == [
            {"Ref": "AWS::Partition"}, {"Ref": "AWS::Region"}, {"Ref": "AWS::AccountId"}
        ]


def test_a_regional_arn_takes_partition_region_and_account_at_deploy_time():
    stack = cdk.Stack(cdk.App(), "Arn")
    assert stack.resolve(regional_arn("glue", "catalog")) == {
        "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":glue:", {"Ref": "AWS::Region"}, ":", {"Ref": "AWS::AccountId"}, ":catalog"]]
    }
