"""ARNs of resources in the deploying account and region, for policies that name resources
the stacks do not create as constructs (Glue catalog entries, log groups, executions)."""
import functools

from aws_cdk import Aws


@functools.cache
def pseudo_parameters() -> tuple[str, str, str]:
    """The tokens of AWS::Partition, AWS::Region and AWS::AccountId: `Aws.*` are static strings,
    the same in every app of the process, read once instead of a jsii round trip per ARN."""
    return Aws.PARTITION, Aws.REGION, Aws.ACCOUNT_ID


def regional_arn(service: str, resource: str) -> str:
    """`arn:<partition>:<service>:<region>:<account>:<resource>`, partition, region and account
    resolved at deploy time (so the same template serves aws, aws-cn and aws-us-gov)."""
    partition, region, account = pseudo_parameters()
    return f"arn:{partition}:{service}:{region}:{account}:{resource}"
