"""The account's data lake administrators this stage needs, appended to those it has."""
from typing import Sequence

from aws_cdk import Fn, Stack
from aws_cdk import aws_lakeformation as lakeformation
from constructs import Construct


class DataLakeAdministrators(Construct):
    """`AWS::LakeFormation::DataLakeSettings` with `MutationType: APPEND`.

    Secures: the account's existing administrators and settings. The PutDataLakeSettings API
    replaces the whole administrator list ("This API replaces the current list of data lake admins
    with the new list being passed", Lake Formation API Reference); the CloudFormation resource
    with APPEND adds its values to the current settings instead ("Specifies whether the data lake
    settings are updated by adding new values to the current settings (APPEND) or by replacing the
    current settings with new settings (REPLACE)", AWS::LakeFormation::DataLakeSettings,
    CloudFormation Template Reference). Only `admins` is set: the account-wide defaults for new
    databases and tables belong to the account, not to one stage, which switches them off for its
    own databases instead (CatalogStack, lake_formation mode).

    `include_cdk_execution_role` adds the CDK's CloudFormation execution role, which makes the
    stage's grants, LF-tags and registrations, and must therefore be an administrator; off unless
    the setting says so, because that role can deploy anything.
    """

    def __init__(self, scope: Construct, id: str, *, admins: Sequence[str], include_cdk_execution_role: bool) -> None:
        super().__init__(scope, id)
        principals = list(admins)
        if include_cdk_execution_role:
            principals.append(Fn.sub(Stack.of(self).synthesizer.cloud_formation_execution_role_arn))
        self.admin_arns = tuple(principals)
        self.settings = lakeformation.CfnDataLakeSettings(
            self,
            "Settings",
            mutation_type="APPEND",
            admins=[lakeformation.CfnDataLakeSettings.DataLakePrincipalProperty(data_lake_principal_identifier=p) for p in principals],
        )
