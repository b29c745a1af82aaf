"""ARNs of resources in the deploying account and region, for policies that name resources
the stacks do not create as constructs (Glue catalog entries, log groups, executions)."""
from aws_cdk import Aws


def regional_arn(service: str, resource: str) -> str:
    """`arn:<partition>:<service>:<region>:<account>:<resource>`, partition, region and account
    resolved at deploy time (so the same template serves aws, aws-cn and aws-us-gov)."""
    return f"arn:{Aws.PARTITION}:{service}:{Aws.REGION}:{Aws.ACCOUNT_ID}:{resource}"
