"""Service principals that can act only for this account: the confused-deputy guard."""
from aws_cdk import Aws
from aws_cdk import aws_iam as iam


def account_scoped_service(service: str, source_arn: str | None = None) -> iam.ServicePrincipal:
    """`service` may assume the role only on behalf of this account (`aws:SourceAccount`) and,
    given `source_arn`, only for the resources it matches (`aws:SourceArn`), so another
    account cannot make the service use this role for its own resources."""
    conditions = {"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}}
    if source_arn:
        conditions["ArnLike"] = {"aws:SourceArn": source_arn}
    return iam.ServicePrincipal(service, conditions=conditions)
