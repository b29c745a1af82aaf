"""The EMR service role and the instance profile of the cluster's nodes."""
from dataclasses import dataclass

from aws_cdk import Acknowledgment, Aws, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from compliance.finding_ids import iam5_resource
from lake_config.datasets import Dataset
from lake_constructs.shared.arns import regional_arn
from lake_constructs.shared.s3_prefixes import folder_markers, keys_under, probed_keys
from lake_constructs.shared.service_principals import account_scoped_service

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
    raw_bucket: s3.IBucket
    curated_bucket: s3.IBucket
    logs_bucket: s3.IBucket
    datasets: tuple[Dataset, ...]
    log_prefix: str
    curated_database: str
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
        raw, curated = grants.raw_bucket, grants.curated_bucket
        log_objects = grants.logs_bucket.arn_for_objects(f"{grants.log_prefix}*")
        raw_reads, writes, probes, markers, tables = [], [], [], [], []
        for dataset in grants.datasets:
            raw_reads.append(keys_under(raw, dataset.raw_prefix))
            probes += probed_keys(raw, dataset.raw_prefix)
            for prefix in (dataset.curated_prefix, dataset.quarantine_prefix, dataset.report_prefix):
                writes.append(keys_under(curated, prefix))
                probes += probed_keys(curated, prefix)
                markers += folder_markers(curated, prefix)
            tables.append(regional_arn("glue", f"table/{grants.curated_database}/{dataset.table}"))
        policy = iam.ManagedPolicy(
            self,
            "LakeAccess",
            roles=[self.instance_role],
            statements=[
                # Without ListBucket, S3 answers a HEAD on a missing key with 403 instead of 404,
                # and EMRFS fails the job when it checks whether an output path exists. S3 sends
                # that check without an s3:prefix, so the grant cannot be narrowed by prefix.
                iam.PolicyStatement(actions=["s3:ListBucket"], resources=[raw.bucket_arn, curated.bucket_arn]),
                iam.PolicyStatement(actions=["s3:GetObject"], resources=raw_reads),
                # HEAD of each dataset folder and its parents, with and without the slash.
                iam.PolicyStatement(actions=["s3:GetObject"], resources=list(dict.fromkeys(probes))),
                iam.PolicyStatement(
                    actions=["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"],
                    resources=writes,
                ),
                # EMRFS marks a directory it creates with a "<dir>_$folder$" object beside it.
                iam.PolicyStatement(
                    actions=["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], resources=list(dict.fromkeys(markers))
                ),
                iam.PolicyStatement(actions=["s3:PutObject"], resources=[log_objects]),
                iam.PolicyStatement(actions=["s3:GetObject"], resources=list(grants.readable_objects)),
                iam.PolicyStatement(
                    actions=["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
                    resources=[grants.key.key_arn],
                ),
                # The Glue client of Hive and Spark opens (or creates, once per account) "default" at start.
                iam.PolicyStatement(
                    actions=["glue:GetDatabase", "glue:CreateDatabase"],
                    resources=[regional_arn("glue", "catalog"), regional_arn("glue", "database/default")],
                ),
                # CloudFormation owns the curated tables (their schema is the contract's): the
                # job reads them and registers the partitions it writes, and changes nothing else.
                iam.PolicyStatement(
                    actions=[
                        "glue:GetDatabase",
                        "glue:GetTable",
                        "glue:GetPartition",
                        "glue:GetPartitions",
                        "glue:BatchGetPartition",
                        "glue:CreatePartition",
                        "glue:BatchCreatePartition",
                        "glue:UpdatePartition",
                        "glue:BatchUpdatePartition",
                    ],
                    resources=[regional_arn("glue", "catalog"), regional_arn("glue", f"database/{grants.curated_database}"), *tables],
                ),
            ],
        )
        self.policies.append(policy)
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
