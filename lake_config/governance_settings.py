"""Settings of the lake's permission model: IAM only (the default), Lake Formation hybrid access
mode, or Lake Formation alone. See docs/governance.md.

- `iam`: today's behaviour, bucket policies and IAM; nothing of Lake Formation is deployed.
- `hybrid`: the zones' S3 locations are registered in hybrid access mode; the principals that are
  opted in (analysts, QuickSight) are governed by Lake Formation grants, the others (EMR, crawlers,
  Data Quality) keep their IAM access, which hybrid mode leaves in place.
- `lake_formation`: every principal needs Lake Formation grants; new databases and tables of the
  stage get no IAMAllowedPrincipals grant.
"""
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from lake_config.base import NO_DUPLICATES, Section
from lake_config.datasets import display_path

ACCOUNT_PLACEHOLDER = "{account}"
# Lake Formation principals are IAM users and roles of the account (data lake administrators may
# also be users); `{account}` is replaced by the deploying account so cdk.json needs no id.
IAM_PRINCIPAL = re.compile(r"arn:aws(-cn|-us-gov)?:iam::(\d{12}|\{account\}):(role|user)/[\w+=,.@/-]{1,512}")
PRINCIPAL_EXAMPLE = "arn:aws:iam::{account}:role/lake-admin"
# ODCS leaves classification free text; these are the values its examples use. A fork may declare
# others: the LF-tag takes whatever the stage's contracts declare.
CLASSIFICATION = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
Mode = Literal["iam", "hybrid", "lake_formation"]


def _iam_principal(value: str) -> str:
    if not IAM_PRINCIPAL.fullmatch(value):
        raise ValueError(f"must be an IAM role or user ARN, arn:aws:iam::<account or {ACCOUNT_PLACEHOLDER}>:role/<name>, e.g. {PRINCIPAL_EXAMPLE}")
    return value


def _classification(value: str) -> str:
    if not CLASSIFICATION.fullmatch(value):
        raise ValueError(f"must match {CLASSIFICATION.pattern} (an LF-tag value, lower case), e.g. restricted")
    return value


Principal = Annotated[str, AfterValidator(_iam_principal)]
Classification = Annotated[str, AfterValidator(_classification)]


class GovernanceSettings(Section):
    """`governance` of a stage: who administers Lake Formation and what analysts may see."""

    mode: Mode = Field("iam", description="iam (IAM and bucket policies only), hybrid (Lake Formation for opted-in principals) or lake_formation (Lake Formation for all).")
    # Data lake administrators this stage adds to the account's (AWS::LakeFormation::DataLakeSettings
    # with MutationType APPEND: existing administrators stay).
    admins: Annotated[list[Principal], NO_DUPLICATES] = Field([], description="IAM role or user ARNs ({account} allowed) appended to the account's data lake administrators.")
    # Grants, LF-tags and registrations made by CloudFormation are made by the CDK's CloudFormation
    # execution role, which must be a data lake administrator for them. Off by default: it makes a
    # role that deploys anything an administrator of every table in the account.
    cdk_execution_role_is_admin: bool = Field(False, description="Also make the CDK CloudFormation execution role a data lake administrator (it makes the grants).")
    # False where the account's data lake settings are owned elsewhere (another stage, a platform
    # team): this stage then declares no AWS::LakeFormation::DataLakeSettings at all.
    manage_data_lake_settings: bool = Field(True, description="Declare the account's DataLakeSettings (APPEND); false where they belong to someone else. Ephemeral stages: always false.")
    # An existing IAM role (or user) whose sessions are the lake's analysts (Athena, notebooks).
    analysts_principal: Principal | None = Field(None, description="An existing IAM role ({account} allowed) whose sessions are the lake's analysts; granted the readable columns.")
    # Columns of these classifications are hidden from analysts and QuickSight unless allowed below.
    restricted_classifications: Annotated[list[Classification], Field(min_length=1), NO_DUPLICATES] = Field(
        ["restricted"], description="Contract classifications whose columns analysts and QuickSight may not read."
    )
    # What a column without `classification` in its contract is.
    default_classification: Classification = Field("internal", description="The classification of a column whose contract declares none.")
    analysts_read_restricted: bool = Field(False, description="Let the analysts principal read restricted columns.")
    quicksight_reads_restricted: bool = Field(False, description="Let QuickSight read (and its datasets keep) restricted columns.")

    @model_validator(mode="after")
    def _governed_stages_have_an_administrator(self):
        if self.mode != "iam" and self.manage_data_lake_settings and not (self.admins or self.cdk_execution_role_is_admin):
            raise ValueError(
                f"admins: governance.mode {self.mode} needs at least one data lake administrator "
                "(or cdk_execution_role_is_admin: true): without one nobody may grant Lake Formation permissions"
            )
        if self.default_classification in self.restricted_classifications:
            raise ValueError(
                f"default_classification: {self.default_classification!r} is one of restricted_classifications: "
                "every column without a classification would be hidden; declare restricted columns in the contracts"
            )
        return self

    @property
    def governed(self) -> bool:
        return self.mode != "iam"

    def admin_arns(self, account: str) -> tuple[str, ...]:
        return tuple(admin.replace(ACCOUNT_PLACEHOLDER, account) for admin in self.admins)

    def analysts_arn(self, account: str) -> str | None:
        return self.analysts_principal.replace(ACCOUNT_PLACEHOLDER, account) if self.analysts_principal else None


def contract_tag_problem(datasets) -> str | None:
    """The first contract value that cannot be an LF-tag value (checked only where governance is on,
    so an IAM-only fork keeps free-text domains)."""
    for dataset in datasets:
        where = f"dataset {dataset.name!r}: {display_path(dataset.contract_file)}"
        if dataset.domain is not None and not CLASSIFICATION.fullmatch(dataset.domain):
            return f"{where}: domain must match {CLASSIFICATION.pattern} to become a Lake Formation tag value (got {dataset.domain!r})"
        for column in dataset.columns:
            if column.classification is not None and not CLASSIFICATION.fullmatch(column.classification):
                return (
                    f"{where}: {column.name}.classification must match {CLASSIFICATION.pattern} to become a Lake Formation "
                    f"tag value (got {column.classification!r})"
                )
    return None
