"""Roles of the interactive cluster: EMR's service role, the nodes' role and the analysts' runtime role."""
from dataclasses import dataclass

from aws_cdk import Acknowledgment, Aws, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from compliance.finding_ids import iam5_resource
from lake_config.datasets import Dataset
from lake_constructs.catalog.catalog_database import CatalogDatabase
from lake_constructs.processing.emr_roles import EmrRoles
from lake_constructs.shared.s3_prefixes import keys_under
from lake_constructs.storage.lake_zone import LakeZone, LakeZones


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
    zones: LakeZones
    logs: LakeZone
    log_prefix: str
    catalog: CatalogDatabase
    datasets: tuple[Dataset, ...]
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
        # Notebooks read through Spark: the curated files, and the folder keys Spark probes.
        read = iam.ManagedPolicy(self, "AnalystRead", roles=[self.runtime_role])
        grants.zones.grant_read_curated(read, grants.datasets, hadoop=True)
        grants.key.grant(read, "kms:DescribeKey")
        tables = [dataset.table for dataset in grants.datasets]
        grants.catalog.grant_read(read, tables, browse=True)
        # Spark's Glue client opens "default" when the session starts.
        CatalogDatabase("default").grant_read(read, (), browse=True)
        nodes = iam.ManagedPolicy(
            self,
            "NodeAccess",
            roles=[self.instance_role],
            statements=[
                iam.PolicyStatement(actions=["sts:AssumeRole", "sts:TagSession"], resources=[self.runtime_role.role_arn]),
                iam.PolicyStatement(actions=["s3:GetObject"], resources=list(grants.readable_objects)),
            ],
        )
        grants.logs.grant_append(nodes, grants.log_prefix)
        # Log and disk encryption: the nodes reach no data with the key.
        grants.key.grant(nodes, "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey")
        curated = grants.zones.curated.bucket
        curated_objects = [keys_under(curated, dataset.curated_prefix) for dataset in grants.datasets]
        log_objects = grants.logs.bucket.arn_for_objects(f"{grants.log_prefix}*")
        self.policies += [read, nodes]
        Validations.of(read).acknowledge(
            *(
                Acknowledgment(
                    id=iam5_resource(self, objects),
                    reason=f"Notebooks read the curated Parquet files of dataset {table}: one folder per date, names chosen by Spark.",
                )
                for table, objects in zip(tables, curated_objects)
            )
        )
        Validations.of(nodes).acknowledge(
            Acknowledgment(
                id=iam5_resource(self, log_objects),
                reason=f"EMR writes the interactive cluster's logs under {grants.log_prefix}<cluster-id>/; the id is assigned at launch.",
            )
        )
