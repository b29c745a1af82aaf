"""The EMR service role and the instance profile of the cluster's nodes."""
from dataclasses import dataclass

from aws_cdk import Acknowledgment, Aws, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from compliance.finding_ids import iam5_resource
from lake_config.datasets import Dataset
from lake_constructs.catalog.catalog_database import CatalogDatabase
from lake_constructs.shared.arns import regional_arn
from lake_constructs.shared.s3_prefixes import keys_under
from lake_constructs.shared.service_principals import account_scoped_service
from lake_constructs.storage.lake_zone import LakeZone, LakeZones

SERVICE_POLICY = "service-role/AmazonEMRServicePolicy_v2"
# How EC2 names itself to iam:PassedToService: ec2.amazonaws.com, and ec2.amazonaws.com.cn in the
# China partition (the v2 policy's own PassRoleForEC2 statement matches "ec2.amazonaws.com*").
EC2_SERVICE_NAMES = ["ec2.amazonaws.com", "ec2.amazonaws.com.cn"]
# EC2 creates this service-linked role the first time an account requests Spot capacity, as the
# caller, who needs iam:CreateServiceLinkedRole for it (EC2 User Guide, "Service-linked role for
# Spot Instance requests"); AmazonEMRServicePolicy_v2 does not grant it.
SPOT_SERVICE = "spot.amazonaws.com"
SPOT_SERVICE_LINKED_ROLE = f"role/aws-service-role/{SPOT_SERVICE}/AWSServiceRoleForEC2Spot"


@dataclass(frozen=True)
class LakeGrants:
    """What the nodes may touch: each dataset's raw prefix (read), its curated, quarantine and
    report prefixes (write), its curated table's partitions, and the log prefix."""

    key: kms.IKey
    zones: LakeZones
    logs: LakeZone
    catalog: CatalogDatabase
    datasets: tuple[Dataset, ...]
    log_prefix: str
    # Exact object ARNs the nodes read at boot or per step (TLS zip, job script).
    readable_objects: tuple[str, ...]


class EmrRoles(Construct):
    """The two roles EMR needs, with customer-managed, exact-action policies.

    Secures: the service role trusts EMR only on behalf of this account's clusters in this
    region (aws:SourceAccount and aws:SourceArn guard against the confused deputy), holds
    AWS's AmazonEMRServicePolicy_v2 (which only acts on resources tagged
    for-use-with-amazon-emr-managed-policies=true) plus: passing exactly the instance role to
    EC2 (in every partition's spelling), creating the Spot service-linked role an account lacks
    until its first Spot request, and KMS grants on the lake key for encrypted EBS volumes. The
    instance profile carries its role's name, as EMR requires. The instance role (no
    deprecated AmazonElasticMapReduceforEC2Role, no AmazonSSMManagedInstanceCore) reads each
    dataset's raw prefix, writes its curated, quarantine and report prefixes, uses the lake key,
    reads the curated tables and adds their partitions, writes its log prefix, reads the TLS zip and the job script,
    and registers with Session Manager so nobody needs an SSH key.
    """

    def __init__(self, scope: Construct, id: str, *, grants: LakeGrants) -> None:
        super().__init__(scope, id)
        self.instance_role = iam.Role(
            self,
            "InstanceRole",
            assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
            description="EMR cluster nodes: curate the datasets of the lake.",
        )
        # EMR does not support an instance profile whose name differs from its role's.
        self.instance_profile = iam.InstanceProfile(
            self, "InstanceProfile", role=self.instance_role, instance_profile_name=self.instance_role.role_name
        )
        self.policies: list[iam.ManagedPolicy] = []
        self._lake_access(grants)
        self._session_manager()
        self.service_role = self._service_role(grants.key)

    def _service_role(self, key: kms.IKey) -> iam.Role:
        role = iam.Role(
            self,
            "ServiceRole",
            assumed_by=account_scoped_service(
                "elasticmapreduce.amazonaws.com", regional_arn("elasticmapreduce", "*")
            ),
            description="EMR service role: runs this stage's cluster.",
            managed_policies=[iam.ManagedPolicy.from_aws_managed_policy_name(SERVICE_POLICY)],
        )
        Validations.of(role).acknowledge(
            Acknowledgment(
                id=f"AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{SERVICE_POLICY}]",
                reason="AmazonEMRServicePolicy_v2 is the EMR service role policy AWS maintains for new EMR "
                "APIs and instance types; it only acts on subnets and security groups tagged "
                "for-use-with-amazon-emr-managed-policies=true, which this project tags.",
            )
        )
        policy = iam.ManagedPolicy(
            self,
            "ServicePolicy",
            roles=[role],
            statements=[
                # The v2 policy deliberately leaves out PassRole: pass exactly the nodes' role, to EC2 only.
                iam.PolicyStatement(
                    actions=["iam:PassRole"],
                    resources=[self.instance_role.role_arn],
                    conditions={"StringEquals": {"iam:PassedToService": EC2_SERVICE_NAMES}},
                ),
                # The spot task fleet cannot launch in an account that never used Spot without it.
                iam.PolicyStatement(
                    actions=["iam:CreateServiceLinkedRole"],
                    resources=[f"arn:{Aws.PARTITION}:iam::{Aws.ACCOUNT_ID}:{SPOT_SERVICE_LINKED_ROLE}"],
                    conditions={"StringEquals": {"iam:AWSServiceName": SPOT_SERVICE}},
                ),
                # EC2 encrypts the nodes' EBS volumes with the lake key through grants EMR creates.
                iam.PolicyStatement(
                    actions=["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
                    resources=[key.key_arn],
                    conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
                ),
                iam.PolicyStatement(
                    actions=[
                        "kms:Encrypt",
                        "kms:Decrypt",
                        "kms:ReEncryptFrom",
                        "kms:ReEncryptTo",
                        "kms:GenerateDataKeyWithoutPlaintext",
                        "kms:DescribeKey",
                    ],
                    resources=[key.key_arn],
                ),
            ],
        )
        self.policies.append(policy)
        return role

    def _lake_access(self, grants: LakeGrants) -> None:
        policy = iam.ManagedPolicy(
            self,
            "LakeAccess",
            roles=[self.instance_role],
            statements=[
                iam.PolicyStatement(actions=["s3:GetObject"], resources=list(grants.readable_objects)),
                # The Glue client of Hive and Spark opens (or creates, once per account) "default" at start.
                iam.PolicyStatement(
                    actions=["glue:GetDatabase", "glue:CreateDatabase"],
                    resources=[regional_arn("glue", "catalog"), regional_arn("glue", "database/default")],
                ),
            ],
        )
        tables = [dataset.table for dataset in grants.datasets]
        grants.zones.grant_read_raw(policy, grants.datasets, hadoop=True)
        grants.zones.grant_curate(policy, grants.datasets)
        grants.logs.grant_append(policy, grants.log_prefix)
        grants.key.grant(policy, "kms:DescribeKey")
        # The job reads the curated tables and registers the partitions it writes.
        grants.catalog.grant_read(policy, tables)
        grants.catalog.grant_write_partitions(policy, tables)
        self.policies.append(policy)
        raw, curated = grants.zones.raw.bucket, grants.zones.curated.bucket
        log_objects = grants.logs.bucket.arn_for_objects(f"{grants.log_prefix}*")
        acknowledgments = [
            Acknowledgment(
                id=iam5_resource(self, log_objects),
                reason=f"EMR writes node, application and step logs under {grants.log_prefix}<cluster-id>/; "
                "the cluster id is assigned at launch.",
            )
        ]
        for dataset in grants.datasets:
            acknowledgments.append(
                Acknowledgment(
                    id=iam5_resource(self, keys_under(raw, dataset.raw_prefix)),
                    reason=f"The curation job reads every raw object of dataset {dataset.name} under {dataset.raw_prefix} "
                    "(one folder per date); the keys are not known in advance.",
                )
            )
            for prefix, what in (
                (dataset.curated_prefix, "Parquet files, one folder per date"),
                (dataset.quarantine_prefix, "rejected rows with the rule each broke"),
                (dataset.report_prefix, "one JSON report per run, named after the run id"),
            ):
                acknowledgments.append(
                    Acknowledgment(
                        id=iam5_resource(self, keys_under(curated, prefix)),
                        reason=f"The curation job of dataset {dataset.name} writes and replaces {what} under {prefix}; "
                        "Spark names the files per run.",
                    )
                )
        Validations.of(policy).acknowledge(*acknowledgments)

    def _session_manager(self) -> None:
        policy = iam.ManagedPolicy(
            self,
            "SessionManager",
            roles=[self.instance_role],
            statements=[
                iam.PolicyStatement(
                    actions=[
                        "ssm:UpdateInstanceInformation",
                        "ssmmessages:CreateControlChannel",
                        "ssmmessages:CreateDataChannel",
                        "ssmmessages:OpenControlChannel",
                        "ssmmessages:OpenDataChannel",
                    ],
                    resources=["*"],
                )
            ],
        )
        self.policies.append(policy)
        Validations.of(policy).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="Session Manager's agent registers the node and opens its channels with ssmmessages "
                "actions that support no resource-level permissions; these five actions replace SSH keys.",
            )
        )
