"""CloudFormation custom resource: self-signed TLS material for EMR in-transit encryption.

Invoked by CloudFormation directly (ServiceToken = this function's ARN), so it answers the
pre-signed ResponseURL itself. The private key is generated here, inside the account, and only
ever written to S3 under SSE-KMS: it is never in the repository, in cdk.out or in the logs.

ResourceProperties: Bucket, Key (object key of the zip), KmsKeyId, Region (default: AWS_REGION),
ValidityDays (default 365), KeySize (default 2048). CloudFormation passes numbers as strings.
PhysicalResourceId: s3://Bucket/Key. Data: S3Uri, NotAfter (ISO 8601, UTC).

Material is never rewritten under running nodes: EMR nodes fetch the zip when they boot, and
nodes added later (scaling, replacement) must get the same certificate as the ones running.
So an Update that keeps s3://Bucket/Key keeps the object (other property changes apply to
the next material); only a new Key (a new generation, with a new security configuration and
so a new cluster) gets new material, and CloudFormation then deletes the old physical resource.
"""

import datetime
import io
import json
import logging
import os
import urllib.parse
import urllib.request
import zipfile

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

LOG = logging.getLogger(__name__)
LOG.setLevel(logging.INFO)
# botocore logs every request's parameters at DEBUG. Even if the function's log level is set to
# DEBUG, nothing of the upload (the zip holds the key) may reach CloudWatch: keep it at INFO.
for _name in ("boto3", "botocore"):
    logging.getLogger(_name).setLevel(logging.INFO)

# Fail fast enough to still answer CloudFormation within the function's timeout.
BOTO_CONFIG = Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 3, "mode": "standard"})
IGNORED_ON_DELETE = {"NoSuchBucket", "NoSuchKey"}
NOT_FOUND = {"404", "NoSuchKey", "NotFound"}
# Object metadata that records the certificate's expiry, so an Update that keeps the material can answer it.
NOT_AFTER_METADATA = "not-after"


def internal_domain(region: str) -> str:
    """The EC2 private DNS domain of a region: the names the cluster's nodes get."""
    return "ec2.internal" if region == "us-east-1" else f"{region}.compute.internal"


def self_signed(common_name: str, validity_days: int, key_size: int) -> tuple[bytes, bytes, datetime.datetime]:
    """An RSA key and a self-signed end-entity certificate for common_name, both PEM."""
    if key_size < 2048 or validity_days < 1:
        raise ValueError("KeySize must be at least 2048 and ValidityDays at least 1")
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    not_before = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    not_after = not_before + datetime.timedelta(days=validity_days)
    public_key = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(common_name)]), critical=False)
        # CA:FALSE: the key sits on every node, so it must not be able to issue certificates the
        # nodes would trust. Java (JSSE) and OpenSSL accept a trusted self-signed leaf as is.
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, key_encipherment=True, content_commitment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=False,
                crl_sign=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public_key), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return key_pem, cert.public_bytes(serialization.Encoding.PEM), not_after


def emr_zip(key_pem: bytes, chain_pem: bytes, trusted_pem: bytes) -> bytes:
    """The zip layout of EMR's PEM certificate provider."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("privateKey.pem", key_pem)
        archive.writestr("certificateChain.pem", chain_pem)
        archive.writestr("trustedCertificates.pem", trusted_pem)
    return buffer.getvalue()


def purge(s3, bucket: str, key: str, keep: str | None = None) -> None:
    """Delete every version and delete marker of exactly `key`, but the version `keep`."""
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=key):
        doomed = [
            {"Key": key, "VersionId": item["VersionId"]}
            for item in page.get("Versions", []) + page.get("DeleteMarkers", [])
            if item["Key"] == key and item["VersionId"] != keep
        ]
        if doomed:
            errors = s3.delete_objects(Bucket=bucket, Delete={"Objects": doomed, "Quiet": True}).get("Errors")
            if errors:
                raise RuntimeError(f"could not delete versions of s3://{bucket}/{key}: {errors}")


def existing_not_after(s3, bucket: str, key: str) -> str | None:
    """The recorded expiry of the material at s3://bucket/key, or None if there is none to keep."""
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if error.response["Error"]["Code"] in NOT_FOUND:
            return None
        raise
    return head.get("Metadata", {}).get(NOT_AFTER_METADATA)


def write_material(s3, props: dict, bucket: str, key: str) -> str:
    """New key and certificate at s3://bucket/key, older versions purged; returns the expiry."""
    region = props.get("Region") or os.environ["AWS_REGION"]
    key_pem, cert_pem, not_after = self_signed(
        f"*.{internal_domain(region)}", int(props.get("ValidityDays", 365)), int(props.get("KeySize", 2048))
    )
    written = s3.put_object(
        Bucket=bucket, Key=key, Body=emr_zip(key_pem, cert_pem, cert_pem), ContentType="application/zip",
        ServerSideEncryption="aws:kms", SSEKMSKeyId=props["KmsKeyId"], Metadata={NOT_AFTER_METADATA: not_after.isoformat()},
    )
    # Older keys must not linger as noncurrent versions (an unversioned object is "null").
    purge(s3, bucket, key, keep=written.get("VersionId", "null"))
    return not_after.isoformat()


def send_response(event, status: str, reason: str, physical_id: str, data: dict | None = None) -> None:
    """PUT the custom resource's result to CloudFormation's pre-signed ResponseURL.

    A failed PUT raises: Lambda then retries the (asynchronous) invocation, and every request
    type is safe to run again.
    """
    url = event["ResponseURL"]
    if urllib.parse.urlsplit(url).scheme not in ("https", "http"):
        raise ValueError("ResponseURL is not an http(s) URL")
    body = json.dumps({
        "Status": status,
        "Reason": reason[:1000],
        "PhysicalResourceId": physical_id,
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "NoEcho": False,
        "Data": data or {},
    }).encode()
    # An empty Content-Type: the URL is signed without one (urllib would otherwise add a form type).
    request = urllib.request.Request(
        url, data=body, method="PUT", headers={"Content-Type": "", "Content-Length": str(len(body))}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        LOG.info("Answered CloudFormation %s: HTTP %s", status, response.status)


def handler(event, context):
    request_type = event["RequestType"]
    props = event.get("ResourceProperties", {})
    physical_id = event.get("PhysicalResourceId") or context.log_stream_name
    LOG.info(
        "%s %s (physical id %s): Bucket=%s Key=%s Region=%s", request_type, event.get("LogicalResourceId"),
        physical_id, props.get("Bucket"), props.get("Key"), props.get("Region"),
    )
    status, reason, data = "FAILED", "", {}
    try:
        s3 = boto3.client("s3", config=BOTO_CONFIG)
        if request_type == "Delete":
            # The physical id, not the properties, names what this resource wrote. A failed Create
            # left a log stream name there, and nothing to delete.
            if physical_id.startswith("s3://"):
                bucket, _, key = physical_id.removeprefix("s3://").partition("/")
                try:
                    purge(s3, bucket, key)
                except ClientError as error:
                    if error.response["Error"]["Code"] not in IGNORED_ON_DELETE:
                        raise
                    LOG.info("Nothing to delete: %s", error.response["Error"]["Code"])
        else:
            bucket, key = props["Bucket"], props["Key"]
            target = f"s3://{bucket}/{key}"
            kept = existing_not_after(s3, bucket, key) if request_type == "Update" and physical_id == target else None
            if kept:
                LOG.info("Kept %s, valid until %s: same location, so running nodes keep their material", target, kept)
                not_after = kept
            else:
                not_after = write_material(s3, props, bucket, key)
                LOG.info("Wrote %s, valid until %s", target, not_after)
            physical_id = target
            data = {"S3Uri": physical_id, "NotAfter": not_after}
        status = "SUCCESS"
    except Exception as error:  # noqa: BLE001 - CloudFormation must always get an answer
        LOG.exception("%s failed", request_type)
        reason = f"{type(error).__name__}: {error}. "
    reason += f"See CloudWatch log stream {context.log_stream_name}"
    send_response(event, status, reason, physical_id, data)
