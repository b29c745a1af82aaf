"""One EMR Studio: Workspaces in the project's private subnets, backed up in the lake."""
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_emr as emr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from lake_config.studio_settings import WORKSPACE_PREFIX, StudioSettings
from lake_constructs.interactive.studio_roles import StudioRoles
from lake_constructs.interactive.studio_security_groups import StudioSecurityGroups


class EmrStudio(Construct):
    """The Studio, its two security groups, its roles and who may use it.

    Secures: Workspaces run only in `subnet_ids` (the private cluster subnets) behind the
    Workspace group; notebooks are backed up under `studio/` in the curated bucket and
    encrypted there with the lake key (`EncryptionKeyArn`, on top of the bucket's SSE-KMS
    default); users sign in with IAM (the user policy on the roles in `user_role_names`) or
    IAM Identity Center (assigned users and groups, the user role with that policy as their
    session policy). The Studio itself costs nothing; the cluster and the S3 storage do.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        name: str,
        settings: StudioSettings,
        vpc: ec2.IVpc,
        subnet_ids: list[str],
        key: kms.IKey,
        bucket: s3.IBucket,
        runtime_role_arn: str,
        cluster_tag: tuple[str, str],
    ) -> None:
        super().__init__(scope, id)
        sso = settings.auth_mode == "SSO"
        self.security_groups = StudioSecurityGroups(self, "SecurityGroups", vpc=vpc, name_prefix=name, git_repositories=settings.git_repositories)
        self.roles = StudioRoles(
            self, "Roles", key=key, bucket=bucket, workspace_prefix=WORKSPACE_PREFIX, git_repositories=settings.git_repositories, identity_center=sso
        )
        self.workspace_location = f"s3://{bucket.bucket_name}/{WORKSPACE_PREFIX}"
        self.studio = emr.CfnStudio(
            self,
            "Resource",
            name=name,
            description=f"Notebooks on the {name} lake: Workspaces attach to the interactive cluster.",
            auth_mode=settings.auth_mode,
            vpc_id=vpc.vpc_id,
            subnet_ids=subnet_ids,
            engine_security_group_id=self.security_groups.engine.security_group_id,
            workspace_security_group_id=self.security_groups.workspace.security_group_id,
            service_role=self.roles.service_role.role_arn,
            user_role=self.roles.user_role.role_arn if sso else None,
            idc_instance_arn=settings.identity_center_instance_arn,
            idc_user_assignment="REQUIRED" if sso else None,
            default_s3_location=self.workspace_location,
            encryption_key_arn=key.key_arn,
        )
        # Studio checks its service role when it is created: the role must hold its policy by then.
        self.studio.node.add_dependency(self.roles.service_policy)

        users = [self.roles.user_role] if sso else [iam.Role.from_role_name(self, f"User{i}", role) for i, role in enumerate(settings.user_role_names)]
        self.user_policy = self.roles.user_policy(
            studio_arn=self.studio.attr_arn, runtime_role_arn=runtime_role_arn, cluster_tag=cluster_tag, roles=users
        )
        for kind, names in (("USER", settings.identity_center_users), ("GROUP", settings.identity_center_groups)):
            for index, identity in enumerate(names):
                emr.CfnStudioSessionMapping(
                    self,
                    f"{kind.title()}{index}",
                    studio_id=self.studio.attr_studio_id,
                    identity_type=kind,
                    identity_name=identity,
                    session_policy_arn=self.user_policy.managed_policy_arn,
                )
