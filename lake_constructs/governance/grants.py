"""Lake Formation grants as small functions over `AWS::LakeFormation::PrincipalPermissions`."""
from typing import Mapping, Sequence

from aws_cdk import Aws
from aws_cdk import aws_lakeformation as lakeformation
from constructs import Construct

P = lakeformation.CfnPrincipalPermissions


def _grant(scope: Construct, id: str, principal_arn: str, resource: P.ResourceProperty, permissions: Sequence[str]) -> P:
    # Never with grant option: only the data lake administrators pass permissions on.
    return P(
        scope,
        id,
        principal=P.DataLakePrincipalProperty(data_lake_principal_identifier=principal_arn),
        resource=resource,
        permissions=sorted(permissions),
        permissions_with_grant_option=[],
    )


def grant_database(scope: Construct, id: str, principal_arn: str, database: str, permissions: Sequence[str]) -> P:
    return _grant(scope, id, principal_arn, P.ResourceProperty(database=P.DatabaseResourceProperty(catalog_id=Aws.ACCOUNT_ID, name=database)), permissions)


def grant_table(scope: Construct, id: str, principal_arn: str, database: str, table: str, permissions: Sequence[str]) -> P:
    """Every column of one table."""
    resource = P.ResourceProperty(table=P.TableResourceProperty(catalog_id=Aws.ACCOUNT_ID, database_name=database, name=table))
    return _grant(scope, id, principal_arn, resource, permissions)


def grant_all_tables(scope: Construct, id: str, principal_arn: str, database: str, permissions: Sequence[str]) -> P:
    """Every table of `database`, including those created later (a crawler's)."""
    resource = P.ResourceProperty(table=P.TableResourceProperty(catalog_id=Aws.ACCOUNT_ID, database_name=database, table_wildcard={}))
    return _grant(scope, id, principal_arn, resource, permissions)


def grant_tag_expression(
    scope: Construct, id: str, principal_arn: str, resource_type: str, expression: Mapping[str, Sequence[str]], permissions: Sequence[str]
) -> P:
    """Every `resource_type` (TABLE or DATABASE) whose LF-tags match `expression` (key -> any of the
    values, all keys), columns whose own tag does not match left out."""
    resource = P.ResourceProperty(
        lf_tag_policy=P.LFTagPolicyResourceProperty(
            catalog_id=Aws.ACCOUNT_ID,
            resource_type=resource_type,
            expression=[P.LFTagProperty(tag_key=key, tag_values=list(values)) for key, values in expression.items()],
        )
    )
    return _grant(scope, id, principal_arn, resource, permissions)
