"""The interactive EMR cluster that EMR Studio Workspaces attach to."""
from aws_cdk import Stack
from constructs import Construct

from lake_config import LakeSettings
from lake_constructs.catalog.catalog_database import CatalogDatabase
from lake_constructs.interactive.interactive_cluster import InteractiveCluster
from lake_constructs.interactive.interactive_roles import InteractiveGrants
from lake_constructs.shared.discovery_parameters import Discovery
from stacks.catalog_stack import CatalogStack
from stacks.emr_stack import LOG_PREFIX, EmrStack, tls_location
from stacks.network_stack import CLUSTER_SUBNETS, NetworkStack, existing_vpc
from stacks.storage_stack import StorageStack, import_lake_bucket, lake_zones, logs_zone


class InteractiveStack(Stack):
    """A stack of its own so that a new cluster (after idle termination) is one
    `cdk destroy`/`cdk deploy` of this stack, leaving the Studio and its Workspaces alone."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        settings: LakeSettings,
        storage: StorageStack,
        catalog: CatalogStack,
        network: NetworkStack | None,
        emr: EmrStack,
        **kwargs,
    ) -> None:
        super().__init__(scope, id, **kwargs)
        # The EMR stack writes the TLS zip the nodes fetch while they boot.
        self.add_stack_dependency(emr)
        vpc = network.vpc if network else existing_vpc(self, settings.network)
        logs_bucket = import_lake_bucket(self, settings, "logs")
        tls = tls_location(settings)
        self.cluster = InteractiveCluster(
            self,
            "Interactive",
            settings=settings,
            grants=InteractiveGrants(
                prefix=settings.prefix,
                key=storage.key,
                zones=lake_zones(self, settings, storage.key),
                logs=logs_zone(self, settings),
                log_prefix=LOG_PREFIX,
                catalog=CatalogDatabase(catalog.curated_database_name),
                datasets=settings.datasets,
                readable_objects=(tls.object_arn,),
            ),
            vpc=vpc,
            subnet_ids=vpc.select_subnets(subnet_group_name=CLUSTER_SUBNETS).subnet_ids,
            tls=tls,
            log_uri=f"s3://{logs_bucket.bucket_name}/{LOG_PREFIX}",
        )
        discovery = Discovery(self, "Discovery", ssm_prefix=settings.ssm_prefix, section="interactive")
        discovery.publish("cluster-id", self.cluster.cluster.cluster.ref, "Interactive EMR cluster for EMR Studio Workspaces")
