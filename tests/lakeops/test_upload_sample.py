"""upload-sample: every dataset's sample to its raw prefix, SSE-KMS with the lake key, access denied."""

import json

import pytest
from moto import settings as moto_settings

from lakeops.table import format_bytes
from tests.lakeops.conftest import SAMPLE_DATES
from tests.lakeops.fakes import FIRST, SETTINGS, client


def test_uploads_every_datasets_partitions_encrypted_with_the_lake_key(deployed, run_cli, datasets_dir):
    result = run_cli("upload-sample", datasets=datasets_dir)
    assert result.exit_code == 0, result.output
    s3 = client("s3")
    for dataset in SETTINGS.datasets:
        files = sorted((datasets_dir / dataset.name / "sample").glob("*/*"))
        assert [f.parent.name for f in files] == [f"dt={dt}" for dt in SAMPLE_DATES]
        for path in files:
            key = f"{dataset.raw_prefix}{path.parent.name}/{path.name}"
            head = s3.head_object(Bucket=deployed.raw_bucket, Key=key)
            assert head["ServerSideEncryption"] == "aws:kms"
            assert head["SSEKMSKeyId"] == deployed.kms_key_arn
            assert s3.get_object(Bucket=deployed.raw_bucket, Key=key)["Body"].read() == path.read_bytes()
            assert key in result.stdout
        size = sum(f.stat().st_size for f in files)
        assert f"Uploaded 2 files, {format_bytes(size)}, to s3://{deployed.raw_bucket}/{dataset.raw_prefix} encrypted with KMS key " \
               f"{deployed.kms_key_arn}" in result.stdout
    assert "uploading" in result.stderr  # progress stays off stdout


def test_one_dataset_only(deployed, run_cli, datasets_dir):
    result = run_cli("upload-sample", "--dataset", FIRST.name, datasets=datasets_dir)
    assert result.exit_code == 0, result.output
    keys = [o["Key"] for o in client("s3").list_objects_v2(Bucket=deployed.raw_bucket).get("Contents", [])]
    assert keys and all(key.startswith(FIRST.raw_prefix) for key in keys)


def test_the_shipped_samples_are_found_by_default(deployed, run_cli):
    """Without --datasets-dir the CLI reads the repository's datasets/ (cdk.json's datasets_dir)."""
    result = run_cli("upload-sample", "--dataset", FIRST.name)
    assert result.exit_code == 0, result.output
    assert f"{FIRST.raw_prefix}dt=" in result.stdout


def test_empty_sample_dir_is_an_error(deployed, run_cli, datasets_dir):
    for partition in (datasets_dir / FIRST.name / "sample").iterdir():
        for path in partition.iterdir():
            path.unlink()
    result = run_cli("upload-sample", "--dataset", FIRST.name, datasets=datasets_dir)
    assert result.exit_code == 1
    assert f"no sample data for {FIRST.name}: expected {datasets_dir / FIRST.name / 'sample'}/dt=YYYY-MM-DD/*" in result.stderr


def test_a_directory_that_is_not_a_partition_is_refused(deployed, run_cli, datasets_dir):
    stray = datasets_dir / FIRST.name / "sample" / "2024-01-03"
    stray.mkdir()
    (stray / f"x.{FIRST.raw_format}").write_text("x\n")
    result = run_cli("upload-sample", datasets=datasets_dir)
    assert result.exit_code == 1
    assert "2024-01-03 is not a partition directory: expected dt=YYYY-MM-DD" in result.stderr


def test_a_file_of_another_format_is_refused(deployed, run_cli, datasets_dir):
    json_dataset = next(d for d in SETTINGS.datasets if d.raw_format == "json")
    wrong = datasets_dir / json_dataset.name / "sample" / f"dt={SAMPLE_DATES[0]}" / "export.csv"
    wrong.write_text("a,b\n")
    result = run_cli("upload-sample", "--dataset", json_dataset.name, datasets=datasets_dir)
    assert result.exit_code == 1
    assert f"{wrong} is not a json file (.json, .jsonl, .ndjson)" in result.stderr


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
def test_access_denied_names_bucket_key_and_kms_key(deployed, run_cli, datasets_dir, monkeypatch, denial):
    env = (_deny_put_by_bucket_policy(deployed) if denial == "bucket policy"
           else _deny_put_by_iam_policy(deployed, monkeypatch))
    result = run_cli("upload-sample", "--dataset", FIRST.name, env=env, datasets=datasets_dir)
    assert result.exit_code == 5, result.output
    (first,) = sorted((datasets_dir / FIRST.name / "sample" / f"dt={SAMPLE_DATES[0]}").iterdir())
    target = f"s3://{deployed.raw_bucket}/{FIRST.raw_prefix}dt={SAMPLE_DATES[0]}/{first.name}"
    assert f"error: access denied uploading {target}" in result.stderr
    assert f"s3:PutObject on arn:aws:s3:::{deployed.raw_bucket}/{FIRST.raw_prefix}*" in result.stderr
    assert f"bucket policy of {deployed.raw_bucket}" in result.stderr
    assert f"lake KMS key {deployed.kms_key_arn}" in result.stderr
    assert "kms:GenerateDataKey" in result.stderr
