"""Roles of the interactive cluster: EMR's service role, the nodes' role and the analysts' runtime role."""
from dataclasses import dataclass

from aws_cdk import Acknowledgment, Aws, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from compliance.finding_ids import iam5_resource
from lake_constructs.processing.emr_roles import EmrRoles
from lake_constructs.shared.arns import regional_arn

GLUE_READ = ["glue:GetDatabase", "glue:GetDatabases", "glue:GetTable", "glue:GetTables", "glue:GetPartition", "glue:GetPartitions", "glue:BatchGetPartition"]


def runtime_role_name(prefix: str) -> str:
    """Fixed, so the Studio user policy (another stack) can name the role without a reference."""
    return f"{prefix}-analyst"


def runtime_role_arn(prefix: str) -> str:
    return f"arn:{Aws.PARTITION}:iam::{Aws.ACCOUNT_ID}:role/{runtime_role_name(prefix)}"


@dataclass(frozen=True)
class InteractiveGrants:
    """What notebooks may read (the curated zone of every dataset) and what the nodes need."""

    prefix: str
    key: kms.IKey
    curated_bucket: s3.IBucket
    logs_bucket: s3.IBucket
    log_prefix: str
    curated_database: str
    # (Glue table, curated prefix) of each dataset.
    datasets: tuple[tuple[str, str], ...]
    # Exact object ARNs the nodes read at boot (the TLS zip).
    readable_objects: tuple[str, ...]


class InteractiveRoles(EmrRoles):
    """EmrRoles' service role and instance profile, with interactive access instead of curation's.

    Secures: notebook sessions run as the analyst runtime role, which reads the curated zone
    (the datasets' prefixes, their Glue tables, the lake key) and writes nothing; only the
    nodes' role may assume it (with session tags, as EMR passes them). The nodes' role itself
    reaches no data: it writes its logs, reads the TLS zip, uses the lake key for log and
    disk encryption and registers with Session Manager, so a session without a runtime role
    gets access denied rather than the cluster's rights.
    """

    def __init__(self, scope: Construct, id: str, *, grants: InteractiveGrants) -> None:
        super().__init__(scope, id, grants=grants)
        self.instance_role.node.default_child.description = "Nodes of the interactive cluster EMR Studio Workspaces attach to."

    def _lake_access(self, grants: InteractiveGrants) -> None:
        self.runtime_role = iam.Role(
            self,
            "AnalystRuntimeRole",
            role_name=runtime_role_name(grants.prefix),
            assumed_by=iam.ArnPrincipal(self.instance_role.role_arn).with_session_tags(),
            description="EMR runtime role of EMR Studio notebook sessions: read the curated zone.",
        )
        curated_objects = [grants.curated_bucket.arn_for_objects(f"{prefix}*") for _, prefix in grants.datasets]
        # Spark and the Glue client also probe the folder's own key (no slash): a 403 there fails the read.
        folders = [grants.curated_bucket.arn_for_objects(prefix.rstrip("/")) for _, prefix in grants.datasets]
        read = iam.ManagedPolicy(
            self,
            "AnalystRead",
            roles=[self.runtime_role],
            statements=[
                iam.PolicyStatement(actions=["s3:ListBucket"], resources=[grants.curated_bucket.bucket_arn]),
                iam.PolicyStatement(actions=["s3:GetObject"], resources=[*curated_objects, *folders]),
                iam.PolicyStatement(actions=["kms:Decrypt", "kms:DescribeKey"], resources=[grants.key.key_arn]),
                iam.PolicyStatement(
                    actions=GLUE_READ,
                    resources=[
                        regional_arn("glue", "catalog"),
                        regional_arn("glue", "database/default"),
                        regional_arn("glue", f"database/{grants.curated_database}"),
                        *(regional_arn("glue", f"table/{grants.curated_database}/{table}") for table, _ in grants.datasets),
                    ],
                ),
            ],
        )
        log_objects = grants.logs_bucket.arn_for_objects(f"{grants.log_prefix}*")
        nodes = iam.ManagedPolicy(
            self,
            "NodeAccess",
            roles=[self.instance_role],
            statements=[
                iam.PolicyStatement(actions=["sts:AssumeRole", "sts:TagSession"], resources=[self.runtime_role.role_arn]),
                iam.PolicyStatement(actions=["s3:PutObject"], resources=[log_objects]),
                iam.PolicyStatement(actions=["s3:GetObject"], resources=list(grants.readable_objects)),
                iam.PolicyStatement(
                    actions=["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"], resources=[grants.key.key_arn]
                ),
            ],
        )
        self.policies += [read, nodes]
        Validations.of(read).acknowledge(
            *(
                Acknowledgment(
                    id=iam5_resource(self, objects),
                    reason=f"Notebooks read the curated Parquet files of dataset {table}: one folder per date, names chosen by Spark.",
                )
                for (table, _), objects in zip(grants.datasets, curated_objects)
            )
        )
        Validations.of(nodes).acknowledge(
            Acknowledgment(
                id=iam5_resource(self, log_objects),
                reason=f"EMR writes the interactive cluster's logs under {grants.log_prefix}<cluster-id>/; the id is assigned at launch.",
            )
        )
