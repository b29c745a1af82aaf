"""Settings of EMR Studio and the interactive cluster its Workspaces attach to.

Reference: docs/studio.md.
"""
from typing import Annotated, Literal

from pydantic import Field, model_validator

from lake_config.base import Section

# Workspace and notebook backups: a prefix of the curated bucket (encrypted with the lake key,
# versioned, access-logged, its lifecycle rules), so Studio adds no bucket of its own.
WORKSPACE_PREFIX = "studio/"
# Where EMR Studio exists (EMR Management Guide, "EMR Studio features, requirements, and limits").
STUDIO_REGIONS = (
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "af-south-1", "ap-east-1", "ap-south-1", "ap-northeast-1",
    "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
    "ca-central-1", "eu-central-1", "eu-central-2", "eu-west-1", "eu-west-2", "eu-west-3", "eu-south-1", "eu-south-2",
    "eu-north-1", "il-central-1", "me-central-1", "sa-east-1", "us-gov-east-1", "us-gov-west-1",
)
IDENTITY_CENTER_INSTANCE = r"^arn:aws(-cn|-us-gov)?:sso:::instance/(sso)?ins-[a-zA-Z0-9-.]{16}$"
# IAM role names (not paths): what IAM accepts.
RoleName = Annotated[str, Field(pattern=r"^[\w+=,.@-]{1,64}$")]
IdentityName = Annotated[str, Field(min_length=1, max_length=256)]


class StudioSettings(Section):
    """Off unless a stage switches it on; then one Studio and one interactive cluster per stage.

    `auth_mode` IAM: analysts use their own IAM identities; the Studio user policy is attached to
    the IAM roles named in `user_role_names` (and can be attached to any other identity).
    `auth_mode` SSO (IAM Identity Center): the listed Identity Center users and groups are
    assigned to the Studio with the user role and that same policy as their session policy.
    """

    enabled: bool = Field(
        False,
        description="The Studio and interactive stacks; needs emr.enabled and, if the stage pins a region, one where EMR Studio exists.",
    )
    auth_mode: Literal["IAM", "SSO"] = Field(
        "IAM",
        description="IAM: analysts use their own IAM identities; SSO: IAM Identity Center users and groups.",
    )
    user_role_names: list[RoleName] = Field([], description="IAM mode: IAM role names that get the Studio user policy.")
    identity_center_instance_arn: Annotated[str | None, Field(pattern=IDENTITY_CENTER_INSTANCE)] = Field(
        None,
        description="SSO mode: the Identity Center instance (arn:aws:sso:::instance/ssoins-...).",
    )
    identity_center_users: list[IdentityName] = Field(
        [],
        description="SSO mode: Identity Center users assigned to the Studio (users or groups: at least one).",
    )
    identity_center_groups: list[IdentityName] = Field([], description="SSO mode: Identity Center groups assigned to the Studio.")
    # Workspaces may reach public Git hosts on 443 (through the NAT); off keeps them inside the VPC.
    git_repositories: bool = Field(
        False,
        description="Workspaces may reach public Git hosts on 443 (through the NAT); off keeps them inside the VPC.",
    )
    # The interactive cluster ends itself after this long without work (EMR accepts 60-604800 s).
    idle_timeout_seconds: Annotated[int, Field(ge=60, le=604800)] = Field(
        3600,
        description="Idle auto-termination of the interactive cluster.",
    )

    @model_validator(mode="after")
    def _one_way_in(self):
        identity_center = self.identity_center_users or self.identity_center_groups
        if self.auth_mode == "SSO":
            if self.user_role_names:
                raise ValueError("studio.user_role_names is for auth_mode IAM; with SSO, list studio.identity_center_users or studio.identity_center_groups")
            if self.enabled and not identity_center:
                raise ValueError("studio.auth_mode SSO needs studio.identity_center_users or studio.identity_center_groups: the Identity Center users and groups to assign")
        elif identity_center or self.identity_center_instance_arn:
            raise ValueError("studio.identity_center_* settings need studio.auth_mode SSO (IAM Identity Center); with IAM, list studio.user_role_names")
        return self
