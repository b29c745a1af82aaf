"""The EMR security configuration: encryption at rest and in transit, Kerberos, IMDSv2."""
import jsii
from aws_cdk import Stack
from aws_cdk import aws_emr as emr
from aws_cdk import aws_kms as kms
from constructs import Construct, IValidation

from compliance.emr_security_baseline import security_configuration_problems
from lake_config.emr_settings import KerberosSettings

KDC_TICKET_LIFETIME_HOURS = 24


class EmrSecurityConfiguration(Construct):
    """One security configuration per cluster, checked at synth by the project's own rule.

    Secures: EMRFS reads and writes to S3 with SSE-KMS under `key` (no client-side crypto to
    manage, and the buckets' defaults agree); local disks (HDFS, spill, shuffle) and, with
    `EnableEbsEncryption`, the root and EBS volumes with `key`; traffic between nodes and
    between applications with TLS from the PEM zip at `tls_certificate_s3_uri` (a plain S3 URI,
    so a zip from a private CA can replace the generated self-signed one); users and services
    with Kerberos from a cluster-dedicated KDC (default) or from your external KDC
    (`kerberos.provider: external`, which three primary nodes need); instance credentials with
    IMDSv2 only, one hop (no container
    on a node can reach the node's role).

    EMRFS consistent view is not configured: S3 has been strongly consistent since
    December 2020, and consistent view would only add a DynamoDB table to pay for and grant.

    `runtime_roles=True` is the interactive profile: the same encryption and IMDSv2, but runtime
    roles (each job or notebook session acts as the IAM role its caller chose) instead of
    Kerberos, which EMR Studio cannot attach to.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        name: str,
        key: kms.IKey,
        tls_certificate_s3_uri: str,
        kerberos: KerberosSettings = KerberosSettings(),
        runtime_roles: bool = False,
    ) -> None:
        super().__init__(scope, id)
        self.runtime_roles = runtime_roles
        self.document = {
            "EncryptionConfiguration": {
                "EnableAtRestEncryption": True,
                "EnableInTransitEncryption": True,
                "AtRestEncryptionConfiguration": {
                    "S3EncryptionConfiguration": {"EncryptionMode": "SSE-KMS", "AwsKmsKey": key.key_arn},
                    "LocalDiskEncryptionConfiguration": {
                        "EncryptionKeyProviderType": "AwsKms",
                        "AwsKmsKey": key.key_arn,
                        "EnableEbsEncryption": True,
                    },
                },
                "InTransitEncryptionConfiguration": {
                    "TLSCertificateConfiguration": {"CertificateProviderType": "PEM", "S3Object": tls_certificate_s3_uri}
                },
            },
            "AuthenticationConfiguration": {"KerberosConfiguration": _kerberos(kerberos)},
            "InstanceMetadataServiceConfiguration": {"MinimumInstanceMetadataServiceVersion": 2, "HttpPutResponseHopLimit": 1},
        }
        if runtime_roles:
            del self.document["AuthenticationConfiguration"]
            self.document["AuthorizationConfiguration"] = {"IAMConfiguration": {"EnableApplicationScopedIAMRole": True}}
        self.resource = emr.CfnSecurityConfiguration(self, "Resource", name=name, security_configuration=self.document)
        self.name = name
        self.node.add_validation(_Baseline(self))


def _kerberos(kerberos: KerberosSettings) -> dict:
    if kerberos.provider == "external":
        return {
            "Provider": "ExternalKdc",
            "ExternalKdcConfiguration": {
                "KdcServerType": "Single",
                "KdcServer": kerberos.kdc_server,
                "AdminServer": kerberos.admin_server,
            },
        }
    return {
        "Provider": "ClusterDedicatedKdc",
        "ClusterDedicatedKdcConfiguration": {"TicketLifetimeInHours": KDC_TICKET_LIFETIME_HOURS},
    }


@jsii.implements(IValidation)
class _Baseline:
    """Fails synth when the document drifts from the baseline, as a nag finding would."""

    def __init__(self, configuration: EmrSecurityConfiguration) -> None:
        self._configuration = configuration

    def validate(self) -> list[str]:
        # What the template will hold, not the dict the construct started from.
        document = Stack.of(self._configuration).resolve(self._configuration.resource.security_configuration)
        problems = security_configuration_problems(document, runtime_roles=self._configuration.runtime_roles)
        return [f"EMR security configuration: {problem}" for problem in problems]
