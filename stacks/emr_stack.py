"""EMR on EC2: the secure Spark cluster that curates the lake, and the job it runs."""
import hashlib

from aws_cdk import Acknowledgment, Aws, Stack, Validations
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

from lake_config import LakeSettings
from lake_constructs.catalog.catalog_database import CatalogDatabase
from lake_constructs.shared.discovery_parameters import Discovery
from lake_constructs.processing.emr_cluster import EmrCluster
from lake_constructs.processing.emr_roles import EmrRoles, LakeGrants
from lake_constructs.processing.emr_security_configuration import EmrSecurityConfiguration
from lake_constructs.processing.emr_security_groups import EmrSecurityGroups
from lake_constructs.processing.emr_tls_certificate import EmrTlsCertificate, TlsLocation
from lake_constructs.storage.secure_bucket import SecureBucket
from lake_config.datasets import CURATION_SCRIPT
from stacks.catalog_stack import CatalogStack
from stacks.network_stack import CLUSTER_SUBNETS, NetworkStack, cluster_subnets, existing_vpc
from stacks.storage_stack import StorageStack, import_lake_bucket, lake_bucket_name, lake_zones, logs_zone

LOG_PREFIX = "emr/"
# One zip per certificate generation (README, "Renewing the TLS certificate").
TLS_OBJECT_KEY = "tls/generation-{generation}/emr-certificates.zip"
ARTIFACTS_ACCESS_LOGS_PREFIX = "s3-access/emr-artifacts/"


def tls_location(settings: LakeSettings) -> TlsLocation:
    """The private CA's zip, or the generated zip of the configured generation. Every cluster of
    the stage (curation, interactive) reads the same one."""
    if settings.emr.tls_certificate_s3_uri:
        uri = settings.emr.tls_certificate_s3_uri
        source = hashlib.sha256(uri.encode()).hexdigest()[:8]
    else:
        generation = settings.emr.tls_certificate_generation
        uri = f"s3://{lake_bucket_name(settings, 'emr-artifacts')}/{TLS_OBJECT_KEY.format(generation=generation)}"
        source = f"g{generation}"
    return TlsLocation(uri, f"arn:{Aws.PARTITION}:s3:::{uri.removeprefix('s3://')}", source)


class EmrStack(Stack):
    """The cluster definition, its roles, security groups and security configuration, the job script,
    and with `emr.mode: long_running` the cluster itself (in `transient` mode the pipeline stack
    creates one cluster per run from the same definition).

    The job is shipped as a CDK file asset (no deploy-time Lambda) and published with the mode,
    the log location and (long_running) the cluster id under `/<project>/<stage>/emr/`; steps
    are submitted at run time by the pipeline, the operations CLI or `aws emr add-steps`, never
    by CloudFormation.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        settings: LakeSettings,
        storage: StorageStack,
        catalog: CatalogStack,
        network: NetworkStack | None,
        **kwargs,
    ) -> None:
        super().__init__(scope, id, **kwargs)
        self.add_stack_dependency(catalog)
        self._settings = settings
        key = storage.key
        vpc = network.vpc if network else existing_vpc(self, settings.network)
        subnets = cluster_subnets()
        logs_bucket = import_lake_bucket(self, settings, "logs")
        log_uri = f"s3://{logs_bucket.bucket_name}/{LOG_PREFIX}"

        certificate = None
        tls = tls_location(settings)
        tls_uri, tls_object_arn = tls.uri, tls.object_arn
        if not settings.emr.tls_certificate_s3_uri:
            certificate = EmrTlsCertificate(
                self,
                "TlsCertificate",
                bucket=self._artifacts_bucket(key, logs_bucket),
                key=key,
                object_key=TLS_OBJECT_KEY.format(generation=settings.emr.tls_certificate_generation),
                vpc=vpc,
                vpc_subnets=subnets,
                region=self.region,
                validity_days=settings.emr.tls_certificate_validity_days,
                retain=settings.retain_data,
            )
            # The resource's own attributes, so the cluster waits for the zip it names.
            tls_uri, tls_object_arn = certificate.s3_uri, certificate.object_arn

        script = s3_assets.Asset(self, "CurationScript", path=str(CURATION_SCRIPT))
        self.vpc, self.subnets = vpc, subnets
        self.roles = roles = EmrRoles(
            self,
            "Roles",
            grants=LakeGrants(
                key=key,
                zones=lake_zones(self, settings, key),
                logs=logs_zone(self, settings),
                catalog=CatalogDatabase(catalog.curated_database_name),
                datasets=settings.datasets,
                log_prefix=LOG_PREFIX,
                readable_objects=(tls_object_arn, script.bucket.arn_for_objects(script.s3_object_key)),
            ),
        )
        self.cluster = EmrCluster(
            self,
            "Cluster",
            name=settings.prefix,
            settings=settings.emr,
            key=key,
            subnet_ids=vpc.select_subnets(subnet_group_name=CLUSTER_SUBNETS).subnet_ids,
            security_groups=EmrSecurityGroups(self, "SecurityGroups", vpc=vpc, name_prefix=settings.prefix),
            roles=roles,
            security_configuration=EmrSecurityConfiguration(
                self,
                "SecurityConfiguration",
                name=f"{settings.prefix}-emr-{tls.source}",
                key=key,
                tls_certificate_s3_uri=tls_uri,
                kerberos=settings.emr.kerberos,
            ),
            log_uri=log_uri,
            tags={"project": settings.project, "stage": settings.stage},
        )
        if certificate:
            # Nodes fetch the zip while they boot: it must exist before the cluster does (a
            # transient one is created after the whole stack, by the pipeline).
            self.cluster.node.add_dependency(certificate)
        self.script_uri = script.s3_object_url
        self.log_uri = log_uri

        discovery = Discovery(self, "Discovery", ssm_prefix=settings.ssm_prefix, section="emr")
        discovery.publish("mode", settings.emr.mode, "EMR cluster mode: long_running or transient (created by the pipeline)")
        if self.cluster.cluster:
            discovery.publish("cluster-id", self.cluster.cluster.ref, "EMR cluster id")
        discovery.publish("curation-script-uri", script.s3_object_url, "S3 URI of the curation Spark job")
        discovery.publish("log-uri", log_uri, "S3 prefix of the EMR cluster's logs")
        if certificate:
            discovery.publish("tls-certificate-not-after", certificate.not_after, "Expiry (ISO 8601) of the cluster's TLS certificate")

    def _artifacts_bucket(self, key: kms.IKey, logs_bucket: s3.IBucket) -> s3.IBucket:
        storage = self._settings.storage
        bucket = SecureBucket(
            self,
            "ArtifactsBucket",
            bucket_name=lake_bucket_name(self._settings, "emr-artifacts"),
            # It holds only the generated TLS zip: nothing to keep, so it goes with the stack,
            # and a recreated stack (a new cluster) can take the same name again.
            retain=False,
            replication_not_needed_because=(
                "EMR artifacts bucket: it holds only the TLS zip the certificate resource generates and "
                "regenerates with the stack; replicating it would copy a private key to another region."
            ),
            noncurrent_version_expiration_days=storage.noncurrent_version_expiration_days,
            abort_incomplete_multipart_upload_days=storage.abort_incomplete_multipart_upload_days,
            encryption_key=key,
            access_logs_bucket=logs_bucket,
            access_logs_prefix=ARTIFACTS_ACCESS_LOGS_PREFIX,
        ).bucket
        Validations.of(bucket).acknowledge(
            Acknowledgment(
                id="Annotation::@aws-cdk/aws-s3:accessLogsPolicyNotAdded",
                reason="The logs bucket belongs to the storage stack, so CDK cannot add the delivery grant from here: "
                "the storage stack's logs-bucket policy grants logging.s3.amazonaws.com s3:PutObject on "
                f"{ARTIFACTS_ACCESS_LOGS_PREFIX}* for this bucket (see the README (EMR on EC2)).",
            )
        )
        return bucket
