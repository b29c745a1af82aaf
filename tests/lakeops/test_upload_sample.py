"""upload-sample: the raw zone layout, SSE-KMS with the lake key, and access denied."""

import json

import pytest
from moto import settings as moto_settings

from tests.lakeops.fakes import client


def test_uploads_each_partition_encrypted_with_the_lake_key(deployed, run_cli, sample_dir):
    result = run_cli("upload-sample", "--sample-dir", str(sample_dir))
    assert result.exit_code == 0, result.output
    s3 = client("s3")
    keys = ["sales/dt=2024-01-01/sales.csv", "sales/dt=2024-01-02/sales.csv"]
    for key in keys:
        head = s3.head_object(Bucket=deployed.raw_bucket, Key=key)
        assert head["ServerSideEncryption"] == "aws:kms"
        assert head["SSEKMSKeyId"] == deployed.kms_key_arn
        assert key in result.stdout
    assert s3.get_object(Bucket=deployed.raw_bucket, Key=keys[1])["Body"].read() == b"order_id,amount\no3,7.25\n"
    assert f"Uploaded 2 files, 57 bytes, to s3://{deployed.raw_bucket}/sales/ encrypted with KMS key " \
           f"{deployed.kms_key_arn}" in result.stdout
    assert "uploading" in result.stderr  # progress stays off stdout


def test_empty_sample_dir_is_an_error(deployed, run_cli, tmp_path):
    result = run_cli("upload-sample", "--sample-dir", str(tmp_path))
    assert result.exit_code == 1
    assert f"no sample data: expected {tmp_path}/sales/dt=YYYY-MM-DD/*.csv" in result.stderr


def test_a_directory_that_is_not_a_partition_is_refused(deployed, run_cli, sample_dir):
    (sample_dir / "sales" / "2024-01-03").mkdir()
    (sample_dir / "sales" / "2024-01-03" / "sales.csv").write_text("order_id,amount\n")
    result = run_cli("upload-sample", "--sample-dir", str(sample_dir))
    assert result.exit_code == 1
    assert "2024-01-03 is not a partition directory: expected dt=YYYY-MM-DD" in result.stderr


def _deny_put_by_bucket_policy(deployed):
    client("s3").put_bucket_policy(Bucket=deployed.raw_bucket, Policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
                       "Resource": f"arn:aws:s3:::{deployed.raw_bucket}/*"}],
    }))
    return None


def _deny_put_by_iam_policy(deployed, monkeypatch):
    """An operator whose IAM policy lacks PutObject on the raw bucket, with moto enforcing IAM."""
    iam = client("iam")
    iam.create_user(UserName="operator")
    iam.put_user_policy(UserName="operator", PolicyName="lake", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"},
                      {"Effect": "Deny", "Action": "s3:PutObject",
                       "Resource": f"arn:aws:s3:::{deployed.raw_bucket}/*"}],
    }))
    key = iam.create_access_key(UserName="operator")["AccessKey"]
    monkeypatch.setattr(moto_settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)
    return {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}


@pytest.mark.parametrize("denial", ["bucket policy", "iam policy"])
def test_access_denied_names_bucket_key_and_kms_key(deployed, run_cli, sample_dir, monkeypatch, denial):
    env = (_deny_put_by_bucket_policy(deployed) if denial == "bucket policy"
           else _deny_put_by_iam_policy(deployed, monkeypatch))
    result = run_cli("upload-sample", "--sample-dir", str(sample_dir), env=env)
    assert result.exit_code == 5, result.output
    target = f"s3://{deployed.raw_bucket}/sales/dt=2024-01-01/sales.csv"
    assert f"error: access denied uploading {target}" in result.stderr
    assert f"bucket policy of {deployed.raw_bucket}" in result.stderr
    assert f"lake KMS key {deployed.kms_key_arn}" in result.stderr
    assert "kms:GenerateDataKey" in result.stderr
