"""The EMR TLS certificate custom resource, against moto (S3, KMS) and a local ResponseURL."""

import datetime
import http.server
import importlib.util
import io
import json
import logging
import socket
import ssl
import threading
import urllib.error
import zipfile
from pathlib import Path

import boto3
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from moto import mock_aws

HANDLER_PATH = Path(__file__).resolve().parents[2] / "lambdas" / "emr_tls_certificate" / "handler.py"
_spec = importlib.util.spec_from_file_location("emr_tls_certificate_handler", HANDLER_PATH)
handler = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(handler)

BUCKET = "datalake-dev-artifacts"
KEY = "emr/tls/emr-tls.zip"
LOG_STREAM = "2026/01/01/[$LATEST]0123456789abcdef"
ZIP_NAMES = {"privateKey.pem", "certificateChain.pem", "trustedCertificates.pem"}


class Context:
    log_stream_name = LOG_STREAM


class ResponseServer(http.server.ThreadingHTTPServer):
    """Stands in for CloudFormation's pre-signed ResponseURL: records every PUT."""

    def __init__(self):
        self.requests = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_PUT(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append({"path": self.path, "headers": dict(self.headers), "body": json.loads(body)})
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/cfn-response?X-Amz-Signature=abc"

    def last(self):
        assert self.requests, "the handler sent no response"
        return self.requests[-1]["body"]


@pytest.fixture
def cfn():
    server = ResponseServer()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def aws(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        key_arn = boto3.client("kms").create_key(Description="lake key")["KeyMetadata"]["Arn"]
        yield s3, key_arn


def invoke(cfn, request_type, props, physical_id=None):
    event = {
        "RequestType": request_type,
        "ResponseURL": cfn.url,
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/datalake-dev-emr/guid",
        "RequestId": f"request-{len(cfn.requests)}",
        "LogicalResourceId": "EmrTlsCertificate",
        "ResourceType": "Custom::EmrTlsCertificate",
        "ResourceProperties": {"ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:tls", **props},
    }
    if physical_id:
        event["PhysicalResourceId"] = physical_id
    assert handler.handler(event, Context()) is None
    response = cfn.last()
    for field in ("StackId", "RequestId", "LogicalResourceId"):
        assert response[field] == event[field]
    return response


def read_zip(s3, key=KEY):
    body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def versions(s3, key=KEY):
    listing = s3.list_object_versions(Bucket=BUCKET, Prefix=key)
    return [v for v in listing.get("Versions", []) + listing.get("DeleteMarkers", []) if v["Key"] == key]


@pytest.fixture
def props(aws):
    return {"Bucket": BUCKET, "Key": KEY, "KmsKeyId": aws[1]}


@pytest.mark.parametrize(
    ("region", "expected"),
    [("us-east-1", "*.ec2.internal"), ("eu-west-1", "*.eu-west-1.compute.internal"), (None, "*.ec2.internal")],
)
def test_create_writes_the_emr_zip_and_answers_success(aws, cfn, props, region, expected):
    s3, key_arn = aws
    if region:
        props["Region"] = region  # None: falls back to AWS_REGION (us-east-1)
    response = invoke(cfn, "Create", {**props, "ValidityDays": "30"})  # CloudFormation sends strings

    files = read_zip(s3)
    assert set(files) == ZIP_NAMES
    cert = x509.load_pem_x509_certificate(files["certificateChain.pem"])
    key = serialization.load_pem_private_key(files["privateKey.pem"], password=None)
    assert files["trustedCertificates.pem"] == files["certificateChain.pem"]
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == expected
    assert cert.issuer == cert.subject
    assert cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName
    ) == [expected]
    assert key.public_key().public_numbers() == cert.public_key().public_numbers()
    assert key.key_size == 2048
    cert.verify_directly_issued_by(cert)  # self-signed, SHA-256
    assert cert.signature_hash_algorithm.name == "sha256"
    assert cert.not_valid_after_utc - cert.not_valid_before_utc == datetime.timedelta(days=30)
    assert abs(cert.not_valid_before_utc - datetime.datetime.now(datetime.UTC)) < datetime.timedelta(minutes=5)
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.key_encipherment and not usage.key_cert_sign
    assert set(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == {
        ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH
    }

    head = s3.head_object(Bucket=BUCKET, Key=KEY)
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"] == key_arn

    assert response["Status"] == "SUCCESS"
    assert response["PhysicalResourceId"] == f"s3://{BUCKET}/{KEY}"
    assert response["Data"] == {
        "S3Uri": f"s3://{BUCKET}/{KEY}", "NotAfter": cert.not_valid_after_utc.isoformat()
    }
    assert LOG_STREAM in response["Reason"]
    request = cfn.requests[-1]
    assert request["path"] == "/cfn-response?X-Amz-Signature=abc"
    assert request["headers"].get("Content-Type") == ""  # the pre-signed URL is signed without one


def test_material_makes_a_mutual_tls_handshake_with_hostname_check(aws, cfn, props, tmp_path):
    """What the nodes do: present privateKey+certificateChain, trust trustedCertificates."""
    invoke(cfn, "Create", {**props, "Region": "eu-west-1"})
    for name, content in read_zip(aws[0]).items():
        (tmp_path / name).write_bytes(content)

    def context(purpose):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if purpose == "server" else ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_cert_chain(tmp_path / "certificateChain.pem", tmp_path / "privateKey.pem")
        ctx.load_verify_locations(tmp_path / "trustedCertificates.pem")
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.verify_flags |= ssl.VERIFY_X509_STRICT
        return ctx

    listener = socket.create_server(("127.0.0.1", 0))
    seen = {}

    def serve():
        conn, _ = listener.accept()
        with context("server").wrap_socket(conn, server_side=True) as tls:
            seen["client"] = tls.getpeercert()["subject"]
            tls.sendall(b"ok")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    raw = socket.create_connection(listener.getsockname(), timeout=10)
    with context("client").wrap_socket(raw, server_hostname="ip-10-0-1-23.eu-west-1.compute.internal") as tls:
        assert tls.recv(2) == b"ok"
    thread.join(10)
    listener.close()
    assert seen["client"] == ((("commonName", "*.eu-west-1.compute.internal"),),)


def test_an_update_in_place_never_rewrites_the_material_under_running_nodes(aws, cfn, props):
    """Nodes added to a running cluster fetch the zip again: it must be the one the others hold."""
    s3 = aws[0]
    created = invoke(cfn, "Create", props)
    first, version = read_zip(s3), versions(s3)

    response = invoke(cfn, "Update", {**props, "ValidityDays": "90", "KeySize": "3072"}, created["PhysicalResourceId"])

    assert response["Status"] == "SUCCESS" and response["PhysicalResourceId"] == created["PhysicalResourceId"]
    assert read_zip(s3) == first and versions(s3) == version
    assert response["Data"] == created["Data"], "the expiry of the kept material, not of a new one"


def test_an_update_in_place_regenerates_only_if_the_material_is_gone(aws, cfn, props):
    s3 = aws[0]
    physical_id = invoke(cfn, "Create", props)["PhysicalResourceId"]
    handler.purge(s3, BUCKET, KEY)
    response = invoke(cfn, "Update", props, physical_id)
    assert response["Status"] == "SUCCESS" and set(read_zip(s3)) == ZIP_NAMES and len(versions(s3)) == 1


def test_a_new_generation_gets_new_material_at_a_new_key_and_delete_cleans_the_old(aws, cfn, props):
    s3 = aws[0]
    old_id = invoke(cfn, "Create", props)["PhysicalResourceId"]
    old_material = read_zip(s3)

    response = invoke(cfn, "Update", {**props, "Key": "emr/tls/v2.zip", "ValidityDays": "60"}, old_id)
    new_id = response["PhysicalResourceId"]
    assert new_id == f"s3://{BUCKET}/emr/tls/v2.zip"
    assert read_zip(s3, "emr/tls/v2.zip")["privateKey.pem"] != old_material["privateKey.pem"]
    assert read_zip(s3) == old_material, "the running generation keeps its zip until CloudFormation deletes it"
    expires = datetime.datetime.fromisoformat(response["Data"]["NotAfter"])
    assert datetime.timedelta(days=59) < expires - datetime.datetime.now(datetime.UTC) <= datetime.timedelta(days=60)
    # CloudFormation then deletes the old physical resource, with the old properties.
    assert invoke(cfn, "Delete", props, old_id)["Status"] == "SUCCESS"

    assert versions(s3) == []
    assert set(read_zip(s3, "emr/tls/v2.zip")) == ZIP_NAMES


def test_delete_removes_the_object_and_all_its_versions(aws, cfn, props):
    s3 = aws[0]
    physical_id = invoke(cfn, "Create", props)["PhysicalResourceId"]
    # Versions left by hand (an earlier key, a delete marker) and a neighbour sharing the prefix.
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"older key")
    s3.delete_object(Bucket=BUCKET, Key=KEY)
    s3.put_object(Bucket=BUCKET, Key=KEY, Body=b"current")
    s3.put_object(Bucket=BUCKET, Key=KEY + ".bak", Body=b"not ours")
    assert len(versions(s3)) == 4

    response = invoke(cfn, "Delete", props, physical_id)

    assert response["Status"] == "SUCCESS"
    assert response["PhysicalResourceId"] == physical_id
    assert versions(s3) == []
    assert s3.get_object(Bucket=BUCKET, Key=KEY + ".bak")["Body"].read() == b"not ours"


@pytest.mark.parametrize(
    "physical_id",
    [f"s3://{BUCKET}/emr/tls/never-written.zip", "s3://no-such-bucket-anywhere/emr/tls/x.zip", LOG_STREAM],
    ids=["missing-object", "missing-bucket", "failed-create"],
)
def test_delete_of_something_missing_still_succeeds(aws, cfn, props, physical_id):
    response = invoke(cfn, "Delete", props, physical_id)

    assert response["Status"] == "SUCCESS"
    assert response["PhysicalResourceId"] == physical_id


def test_create_into_a_missing_bucket_answers_failed_without_raising(aws, cfn, props):
    response = invoke(cfn, "Create", {**props, "Bucket": "no-such-bucket-anywhere"})

    assert response["Status"] == "FAILED"
    assert "NoSuchBucket" in response["Reason"]
    assert LOG_STREAM in response["Reason"]
    # Nothing was written, so the rollback's Delete must not name an S3 object.
    assert response["PhysicalResourceId"] == LOG_STREAM
    assert response["Data"] == {}


def test_a_weak_key_size_is_refused(aws, cfn, props):
    response = invoke(cfn, "Create", {**props, "KeySize": "1024"})

    assert response["Status"] == "FAILED"
    assert "KeySize" in response["Reason"]
    assert versions(aws[0]) == []


def test_the_private_key_never_reaches_the_logs(aws, cfn, props, caplog, capsys):
    caplog.set_level(logging.DEBUG)  # as if the function's log level were DEBUG

    physical_id = invoke(cfn, "Create", props)["PhysicalResourceId"]
    invoke(cfn, "Update", props, physical_id)

    key_pem = read_zip(aws[0])["privateKey.pem"].decode()
    key_lines = [line for line in key_pem.splitlines() if line and "PRIVATE KEY" not in line]
    captured = capsys.readouterr()
    for text in (caplog.text, captured.out, captured.err):
        assert "PRIVATE KEY" not in text
        assert not any(line in text for line in key_lines)
        # The zip's bytes name its files in clear: no logged request body may carry them.
        assert "privateKey.pem" not in text
    assert "Wrote s3://" in caplog.text  # the handler's own logging was captured
    assert not [r for r in caplog.records if r.name.startswith(("botocore", "boto3")) and r.levelno < logging.INFO]


def test_an_unreachable_response_url_raises_so_that_lambda_retries(aws, props):
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]  # closed again below: nothing listens there
    event = {
        "RequestType": "Delete", "ResponseURL": f"http://127.0.0.1:{port}/", "StackId": "stack", "RequestId": "r",
        "LogicalResourceId": "EmrTlsCertificate", "PhysicalResourceId": LOG_STREAM, "ResourceProperties": props,
    }
    with pytest.raises(urllib.error.URLError):
        handler.handler(event, Context())
