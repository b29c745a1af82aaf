"""The cluster EMR Studio Workspaces attach to: the curation cluster's controls, runtime roles instead of Kerberos."""
from aws_cdk import Acknowledgment, Validations
from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from compliance.finding_ids import framework_rule_ids
from lake_config import LakeSettings
from lake_config.emr_settings import EmrSettings
from lake_constructs.interactive.interactive_roles import InteractiveGrants, InteractiveRoles
from lake_constructs.processing.cluster_definition import cluster_applications
from lake_constructs.processing.emr_cluster import EmrCluster
from lake_constructs.processing.emr_security_configuration import EmrSecurityConfiguration
from lake_constructs.processing.emr_security_groups import EmrSecurityGroups
from lake_constructs.processing.emr_tls_certificate import TlsLocation

# The Studio user policy lets users attach only to clusters carrying this tag (value: the prefix).
STUDIO_CLUSTER_TAG = "emr-studio"
KERBEROS_RULES = ("AwsSolutions-EMR6", *(rule for rule in framework_rule_ids("EMRKerberosEnabled") if not rule.startswith("NIST")))
NO_KERBEROS = (
    "Interactive cluster for EMR Studio, which cannot attach to a cluster whose security configuration specifies "
    "Kerberos (EMR Management Guide, 'EMR Studio features, requirements, and limits'). Instead: runtime roles "
    "(each notebook session acts as the analyst role, read-only), TLS between nodes, SSE-KMS at rest, IMDSv2, no "
    "SSH key and no inbound rule but the cluster's own groups and Studio's engine group on 18888. The curation "
    "cluster stays Kerberized."
)


def interactive_emr_settings(settings: LakeSettings) -> EmrSettings:
    """The curation cluster's sizing, with the Studio's idle timeout. Always one long-running
    cluster with one primary node, whatever the curation cluster's mode: Workspaces attach to a
    cluster that is there, and it has no KDC (runtime roles), so none of the Kerberos settings."""
    emr = settings.emr.model_dump(exclude={"kerberos"})
    return EmrSettings.model_validate(
        emr | {"mode": "long_running", "primary_nodes": 1, "idle_timeout_seconds": settings.studio.idle_timeout_seconds}
    )


class InteractiveCluster(Construct):
    """An EMR cluster for notebooks: Spark, Livy and Jupyter Enterprise Gateway.

    Secures what the curation cluster secures (private subnets, dedicated EMR-managed groups,
    at-rest and in-transit encryption with the lake key and the same TLS zip, IMDSv2, logs
    encrypted, no SSH key) with runtime roles in place of Kerberos: sessions get the analyst
    role's read-only access to the curated zone and nothing of the nodes' role.
    Cost: sized like the curation cluster (`emr.*`), ends itself after
    `studio.idle_timeout_seconds` without work.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        settings: LakeSettings,
        grants: InteractiveGrants,
        vpc: ec2.IVpc,
        subnet_ids: list[str],
        tls: TlsLocation,
        log_uri: str,
    ) -> None:
        super().__init__(scope, id)
        name = f"{settings.prefix}-interactive"
        self.roles = InteractiveRoles(self, "Roles", grants=grants)
        security_configuration = EmrSecurityConfiguration(
            self,
            "SecurityConfiguration",
            name=f"{name}-{tls.source}",
            key=grants.key,
            tls_certificate_s3_uri=tls.uri,
            runtime_roles=True,
        )
        self.cluster = EmrCluster(
            self,
            "Cluster",
            name=name,
            settings=interactive_emr_settings(settings),
            key=grants.key,
            subnet_ids=subnet_ids,
            security_groups=EmrSecurityGroups(self, "SecurityGroups", vpc=vpc, name_prefix=name),
            roles=self.roles,
            security_configuration=security_configuration,
            log_uri=log_uri,
            applications=cluster_applications(studio=True),
            # The Studio user policy lets analysts attach only to clusters with this tag.
            tags={STUDIO_CLUSTER_TAG: settings.prefix},
        )
        Validations.of(self.cluster.cluster).acknowledge(*(Acknowledgment(id=rule, reason=NO_KERBEROS) for rule in KERBEROS_RULES))
