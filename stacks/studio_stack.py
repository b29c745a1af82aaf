"""EMR Studio: where analysts open notebooks on the lake (README, "Interactive analysis: EMR Studio")."""
from aws_cdk import Stack
from constructs import Construct

from lake_config import LakeSettings
from lake_constructs.interactive.emr_studio import EmrStudio
from lake_constructs.interactive.interactive_cluster import STUDIO_CLUSTER_TAG
from lake_constructs.interactive.interactive_roles import runtime_role_arn
from lake_constructs.shared.discovery_parameters import Discovery
from stacks.network_stack import CLUSTER_SUBNETS, NetworkStack, existing_vpc
from stacks.storage_stack import StorageStack, import_lake_bucket


class StudioStack(Stack):
    """The Studio, apart from the cluster it attaches to.

    Workspaces belong to the Studio: they survive recreating the interactive stack (a new
    cluster after idle termination), and the Studio itself is free, so it can stay deployed.
    """

    def __init__(self, scope: Construct, id: str, *, settings: LakeSettings, storage: StorageStack, network: NetworkStack | None, **kwargs) -> None:
        super().__init__(scope, id, **kwargs)
        self.add_stack_dependency(storage)
        vpc = network.vpc if network else existing_vpc(self, settings.network)
        self.studio = EmrStudio(
            self,
            "Studio",
            name=settings.prefix,
            settings=settings.studio,
            vpc=vpc,
            subnet_ids=vpc.select_subnets(subnet_group_name=CLUSTER_SUBNETS).subnet_ids,
            key=storage.key,
            bucket=import_lake_bucket(self, settings, "curated"),
            runtime_role_arn=runtime_role_arn(settings.prefix),
            cluster_tag=(STUDIO_CLUSTER_TAG, settings.prefix),
        )
        discovery = Discovery(self, "Discovery", ssm_prefix=settings.ssm_prefix, section="studio")
        discovery.publish("url", self.studio.studio.attr_url, "EMR Studio URL")
        discovery.publish("studio-id", self.studio.studio.attr_studio_id, "EMR Studio id")
        discovery.publish("workspace-location", self.studio.workspace_location, "S3 prefix of the Studio's Workspace backups")
        discovery.publish("user-policy-arn", self.studio.user_policy.managed_policy_arn, "Policy to attach to EMR Studio users (IAM mode)")
