"""The EMR Studio service role, the user role (IAM Identity Center) and the Studio user policy."""
from aws_cdk import Acknowledgment, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from compliance.finding_ids import iam5_resource
from lake_constructs.processing.emr_security_groups import EMR_MANAGED_TAG
from lake_constructs.shared.arns import regional_arn
from lake_constructs.shared.service_principals import account_scoped_service

EMR = "elasticmapreduce.amazonaws.com"
TAGGED = {"StringEquals": {f"aws:ResourceTag/{EMR_MANAGED_TAG[0]}": EMR_MANAGED_TAG[1]}}
REQUEST_TAGGED = {"StringEquals": {f"aws:RequestTag/{EMR_MANAGED_TAG[0]}": EMR_MANAGED_TAG[1]}}
# What a Studio user does (EMR Management Guide, "Configure EMR Studio user permissions",
# permissions table): Workspaces, attaching them to clusters, the clusters' application UIs.
WORKSPACE_ACTIONS = [
    "elasticmapreduce:CreateEditor",
    "elasticmapreduce:DescribeEditor",
    "elasticmapreduce:ListEditors",
    "elasticmapreduce:StartEditor",
    "elasticmapreduce:StopEditor",
    "elasticmapreduce:DeleteEditor",
    "elasticmapreduce:OpenEditorInConsole",
    "elasticmapreduce:AttachEditor",
    "elasticmapreduce:DetachEditor",
    "elasticmapreduce:ListClusters",
    "elasticmapreduce:DescribeCluster",
    "elasticmapreduce:ListInstanceGroups",
    "elasticmapreduce:ListBootstrapActions",
    "elasticmapreduce:ListSteps",
    "elasticmapreduce:CreatePersistentAppUI",
    "elasticmapreduce:DescribePersistentAppUI",
    "elasticmapreduce:GetPersistentAppUIPresignedURL",
    "elasticmapreduce:GetOnClusterAppUIPresignedURL",
    "elasticmapreduce:ListStudios",
    "ec2:DescribeVpcs",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
    "iam:ListRoles",
]


def _allow(sid: str, actions: list[str], resources: list[str], conditions: dict | None = None) -> iam.PolicyStatement:
    return iam.PolicyStatement(sid=sid, actions=actions, resources=resources, conditions=conditions)


class StudioRoles(Construct):
    """The role EMR Studio acts as, and (IAM Identity Center only) the role its users act as.

    Secures: both trust only `elasticmapreduce.amazonaws.com` acting for this account's EMR
    resources in this region (aws:SourceAccount, aws:SourceArn: the confused-deputy guard).
    The service role holds one customer-managed policy with the actions EMR Studio documents
    for its secure network channel, every EC2 write conditioned on the
    `for-use-with-amazon-emr-managed-policies` tag; read and write on the Workspace prefix of
    the curated bucket only, and the lake key for it. No Workspace-collaboration actions
    (collaboration is off) and Git secrets only with `git_repositories`.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        key: kms.IKey,
        bucket: s3.IBucket,
        workspace_prefix: str,
        git_repositories: bool,
        identity_center: bool,
    ) -> None:
        super().__init__(scope, id)
        trust = account_scoped_service(EMR, regional_arn("elasticmapreduce", "*"))
        self.service_role = iam.Role(self, "ServiceRole", assumed_by=trust, description="EMR Studio service role.")
        self.user_role = None
        if identity_center:
            self.user_role = iam.Role(self, "UserRole", assumed_by=trust, description="EMR Studio user role (IAM Identity Center).")
            # Studio sets the Identity Center user's context on the session.
            self.user_role.assume_role_policy.add_statements(
                iam.PolicyStatement(actions=["sts:SetContext"], principals=[trust])
            )
        self._service_policy(key, bucket, workspace_prefix, git_repositories)

    def _service_policy(self, key: kms.IKey, bucket: s3.IBucket, prefix: str, git: bool) -> None:
        ec2 = lambda resource: regional_arn("ec2", resource)  # noqa: E731
        kinds = ("network-interface", "instance", "security-group", "subnet", "vpc")
        eni, instance, group, subnet, vpc = (ec2(f"{kind}/*") for kind in kinds)
        clusters = regional_arn("elasticmapreduce", "cluster/*")
        workspace_objects = bucket.arn_for_objects(f"{prefix}*")
        allow = _allow
        statements = [
            allow("AllowEMRReadOnlyActions", ["elasticmapreduce:ListInstances", "elasticmapreduce:DescribeCluster", "elasticmapreduce:ListSteps"], [clusters]),
            allow("AllowEC2ENIActionsWithEMRTags", ["ec2:CreateNetworkInterfacePermission", "ec2:DeleteNetworkInterface"], [eni], TAGGED),
            # EMR Studio documents this one without a tag condition: EC2 cannot evaluate one here.
            allow("AllowEC2ENIAttributeAction", ["ec2:ModifyNetworkInterfaceAttribute"], [instance, eni, group]),
            allow(
                "AllowEC2SecurityGroupActionsWithEMRTags",
                ["ec2:AuthorizeSecurityGroupEgress", "ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress",
                 "ec2:RevokeSecurityGroupIngress", "ec2:DeleteNetworkInterfacePermission"],
                ["*"],
                TAGGED,
            ),
            allow("AllowDefaultEC2SecurityGroupsCreationWithEMRTags", ["ec2:CreateSecurityGroup"], [group], REQUEST_TAGGED),
            allow("AllowDefaultEC2SecurityGroupsCreationInVPCWithEMRTags", ["ec2:CreateSecurityGroup"], [vpc], TAGGED),
            allow(
                "AllowAddingEMRTagsDuringDefaultSecurityGroupCreation",
                ["ec2:CreateTags"],
                [group],
                {"StringEquals": {**REQUEST_TAGGED["StringEquals"], "ec2:CreateAction": "CreateSecurityGroup"}},
            ),
            allow("AllowEC2ENICreationWithEMRTags", ["ec2:CreateNetworkInterface"], [eni], REQUEST_TAGGED),
            allow("AllowEC2ENICreationInSubnetAndSecurityGroupWithEMRTags", ["ec2:CreateNetworkInterface"], [subnet, group], TAGGED),
            allow("AllowAddingTagsDuringEC2ENICreation", ["ec2:CreateTags"], [eni], {"StringEquals": {"ec2:CreateAction": "CreateNetworkInterface"}}),
            allow(
                "AllowEC2ReadOnlyActions",
                ["ec2:DescribeSecurityGroups", "ec2:DescribeNetworkInterfaces", "ec2:DescribeTags", "ec2:DescribeInstances",
                 "ec2:DescribeSubnets", "ec2:DescribeVpcs"],
                ["*"],
            ),
            # Workspace and notebook backups: the Studio's prefix of the curated bucket, nothing else.
            allow("ListWorkspaceBucket", ["s3:ListBucket", "s3:GetEncryptionConfiguration"], [bucket.bucket_arn]),
            allow("ReadWriteWorkspaces", ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], [workspace_objects]),
            allow("EncryptWorkspaces", ["kms:Decrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:DescribeKey"], [key.key_arn]),
        ]
        wildcards = {
            clusters: "EMR Studio describes whichever cluster a user attaches a Workspace to; cluster ids are assigned at launch.",
            eni: "Studio creates and deletes the Workspace network interfaces (ids unknown in advance), only tagged ones.",
            instance: "Studio adds the engine security group to the attached cluster's primary node; its instance id is "
            "assigned at launch. AWS documents this action without a tag condition.",
            group: "Security groups Studio tags or attaches; the writes are conditioned on the EMR-managed tag.",
            subnet: "Workspace interfaces go into the Studio's subnets, allowed only when the subnet carries the EMR-managed tag.",
            vpc: "Default Studio security groups only in a VPC carrying the EMR-managed tag.",
            "*": "EC2 Describe actions support no resource-level permissions; the security-group rule writes apply only "
            "to resources with the EMR-managed tag.",
            workspace_objects: f"Workspace and notebook files under {prefix}, named by Studio and Workspace ids assigned at run time.",
        }
        if git:
            secrets = regional_arn("secretsmanager", "secret:*")
            statements.append(allow("AllowSecretsManagerReadOnlyActionsWithEMRTags", ["secretsmanager:GetSecretValue"], [secrets], TAGGED))
            wildcards[secrets] = "Git credentials Studio users store for their Workspaces; only secrets with the EMR-managed tag."
        self.service_policy = policy = iam.ManagedPolicy(self, "ServicePolicy", roles=[self.service_role], statements=statements)
        Validations.of(policy).acknowledge(*(Acknowledgment(id=iam5_resource(self, arn), reason=reason) for arn, reason in wildcards.items()))

    def user_policy(self, *, studio_arn: str, runtime_role_arn: str, cluster_tag: tuple[str, str], roles: list[iam.IRole]) -> iam.ManagedPolicy:
        """What a Studio user may do: use Workspaces, attach them to the stage's interactive cluster
        with the analyst runtime role only, and open this Studio (IAM mode's presigned URL)."""
        clusters = regional_arn("elasticmapreduce", "cluster/*")
        policy = iam.ManagedPolicy(
            self,
            "UserPolicy",
            description="EMR Studio users: Workspaces on the interactive cluster, as the analyst runtime role.",
            roles=roles,
            statements=[
                iam.PolicyStatement(sid="UseWorkspaces", actions=WORKSPACE_ACTIONS, resources=["*"]),
                iam.PolicyStatement(
                    sid="OpenThisStudio", actions=["elasticmapreduce:CreateStudioPresignedUrl", "elasticmapreduce:DescribeStudio"], resources=[studio_arn]
                ),
                iam.PolicyStatement(
                    sid="AllowPassingServiceRoleForWorkspaceCreation",
                    actions=["iam:PassRole"],
                    resources=[self.service_role.role_arn],
                    conditions={"StringEquals": {"iam:PassedToService": EMR}},
                ),
                iam.PolicyStatement(
                    sid="AttachAsTheAnalystRuntimeRole",
                    actions=["elasticmapreduce:GetClusterSessionCredentials"],
                    resources=[clusters],
                    conditions={
                        "StringEquals": {
                            "elasticmapreduce:ExecutionRoleArn": runtime_role_arn,
                            f"elasticmapreduce:ResourceTag/{cluster_tag[0]}": cluster_tag[1],
                        }
                    },
                ),
            ],
        )
        Validations.of(policy).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="ListEditors, ListClusters, ListStudios, CreateEditor and the EC2/IAM list actions have no resource-level "
                "permissions, and Workspace ids are assigned when a user creates one; data access is the runtime role's, not this policy's.",
            ),
            Acknowledgment(
                id=iam5_resource(self, clusters),
                reason="Session credentials only for the analyst runtime role and only on clusters tagged "
                f"{cluster_tag[0]}={cluster_tag[1]}: the interactive cluster's id is assigned at launch and changes when it is recreated.",
            ),
        )
        return policy
