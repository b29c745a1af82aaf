"""The project's own check of an EMR security configuration, in the JSON layout EMR accepts.

cdk-nag's AwsSolutions-EMR4/EMR5 look for `EnableAtRestEncryption` / `EnableInTransitEncryption`
at the top level of the document, but EMR reads them under `EncryptionConfiguration`, so
those two findings are acknowledged and this check enforces the real settings instead.
It runs at synth (a construct validation of `EmrSecurityConfiguration`) and in the tests.
"""
from typing import Any

# A value that must be there; tokens resolve to CloudFormation intrinsics, so not necessarily a str.
PRESENT = object()
_KERBEROS = "AuthenticationConfiguration.KerberosConfiguration"
# Kerberos from a cluster-dedicated KDC, or from an external one (which needs its servers).
KDC_PROVIDERS = {"ClusterDedicatedKdc": (), "ExternalKdc": ("KdcServerType", "KdcServer", "AdminServer")}
_AT_REST = "EncryptionConfiguration.AtRestEncryptionConfiguration"
_TLS = "EncryptionConfiguration.InTransitEncryptionConfiguration.TLSCertificateConfiguration"

# (where, setting, required value, why)
BASELINE = (
    ("EncryptionConfiguration", "EnableAtRestEncryption", True, ""),
    ("EncryptionConfiguration", "EnableInTransitEncryption", True, ""),
    (f"{_AT_REST}.S3EncryptionConfiguration", "EncryptionMode", "SSE-KMS", "EMRFS writes with the lake key"),
    (f"{_AT_REST}.S3EncryptionConfiguration", "AwsKmsKey", PRESENT, "the lake key"),
    (f"{_AT_REST}.LocalDiskEncryptionConfiguration", "EncryptionKeyProviderType", "AwsKms", ""),
    (f"{_AT_REST}.LocalDiskEncryptionConfiguration", "AwsKmsKey", PRESENT, "the lake key"),
    (f"{_AT_REST}.LocalDiskEncryptionConfiguration", "EnableEbsEncryption", True, "root and EBS volumes"),
    (_TLS, "CertificateProviderType", "PEM", ""),
    (_TLS, "S3Object", PRESENT, "the S3 URI of the PEM zip"),
    ("InstanceMetadataServiceConfiguration", "MinimumInstanceMetadataServiceVersion", 2, "IMDSv2 only"),
)
# Who may do what on the cluster: Kerberos (KDC_PROVIDERS) for the curation cluster; runtime
# roles for the interactive cluster, because EMR Studio cannot attach to a cluster whose
# security configuration specifies Kerberos (EMR Management Guide, "EMR Studio features,
# requirements, and limits").
RUNTIME_ROLES = ("AuthorizationConfiguration.IAMConfiguration", "EnableApplicationScopedIAMRole", True, "runtime roles")


def security_configuration_problems(document: Any, *, runtime_roles: bool = False) -> list[str]:
    """Every way `document` misses the lake's encryption, authentication and IMDSv2 baseline; [] if none.

    `runtime_roles` checks the interactive profile: runtime roles instead of Kerberos, and no
    Kerberos at all (a Kerberized cluster would be one EMR Studio cannot attach to).
    """
    if not isinstance(document, dict):
        return ["the security configuration must be a JSON object"]
    problems = [
        f"{key} belongs under EncryptionConfiguration; EMR ignores or rejects it at the top level"
        for key in ("EnableAtRestEncryption", "EnableInTransitEncryption")
        if key in document
    ]
    for where, key, required, why in (*BASELINE, *((RUNTIME_ROLES,) if runtime_roles else ())):
        if not _meets(_find(document, where).get(key), required):
            problems.append(f"{where}.{key} must be {_render(required)}" + (f" ({why})" if why else ""))
    if runtime_roles:
        if _find(document, "AuthenticationConfiguration").get("KerberosConfiguration"):
            problems.append(f"{_KERBEROS} must be absent (EMR Studio cannot attach to a Kerberized cluster)")
        return problems
    kerberos = _find(document, _KERBEROS)
    provider = kerberos.get("Provider")
    if provider not in KDC_PROVIDERS:
        problems.append(f"{_KERBEROS}.Provider must be {' or '.join(KDC_PROVIDERS)} (Kerberos authentication)")
    else:
        external = _find(document, f"{_KERBEROS}.ExternalKdcConfiguration")
        problems += [f"{_KERBEROS}.ExternalKdcConfiguration.{key} must be set" for key in KDC_PROVIDERS[provider] if not external.get(key)]
    return problems


def _meets(value: Any, required: Any) -> bool:
    if required is PRESENT:
        return bool(value)
    # The type too: JSON's 1 is not true, and "2" is not 2.
    return type(value) is type(required) and value == required


def _render(required: Any) -> str:
    if required is PRESENT:
        return "set"
    return str(required).lower() if isinstance(required, bool) else str(required)


def _find(document: dict, where: str) -> dict:
    node = document
    for part in where.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}
