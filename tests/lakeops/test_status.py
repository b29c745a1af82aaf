"""status: every resource of the stage, per dataset too, whether it exists, and its key facts."""

import json

from lakeops.table import format_bytes
from tests.lakeops.fakes import FIRST, PARAMS, PREFIX, SETTINGS, STAGE, client, create_table

DATASETS = sorted(SETTINGS.datasets, key=lambda d: d.name)


def rows_by_resource(stdout: str) -> dict[str, str]:
    lines = stdout.splitlines()
    width = lines[0].index("NAME")
    return {line[:width].strip(): line for line in lines[2:]}  # after the header and separator


def test_status_of_a_deployed_stage(deployed, sim, run_cli, datasets_dir):
    assert run_cli("upload-sample", datasets=datasets_dir).exit_code == 0
    create_table(FIRST, deployed.raw_database, deployed.raw_bucket, ["2024-01-01", "2024-01-02"])
    crawler = deployed.raw_crawler(FIRST.name)
    client("glue").start_crawler(Name=crawler)
    client("glue").get_crawler(Name=crawler)  # the simulated crawl advances on each look
    client("glue").get_crawler(Name=crawler)

    result = run_cli("status")
    assert result.exit_code == 0, result.output
    rows = rows_by_resource(result.stdout)
    per_dataset = [row for d in DATASETS for row in (f"{d.name} raw crawler", f"{d.name} curated table")]
    assert list(rows) == ["KMS key", "raw bucket", "curated bucket", "athena results bucket", "logs bucket",
                          "raw database", "curated database", *per_dataset,
                          "athena workgroup", "EMR cluster", "curation script", "EMR log location"]
    assert "yes     key state Enabled" in rows["KMS key"]
    uploaded = [p for d in SETTINGS.datasets for p in (datasets_dir / d.name / "sample").glob("*/*")]
    assert f"yes     {len(uploaded)} objects, {format_bytes(sum(p.stat().st_size for p in uploaded))}" in rows["raw bucket"]
    assert "yes     0 objects, 0 bytes" in rows["curated bucket"]
    assert f"{FIRST.raw_table} (2 partitions)" in rows["raw database"]
    assert all(f"{d.table} (0 partitions)" in rows["curated database"] for d in SETTINGS.datasets)
    assert "state READY, last crawl SUCCEEDED started " in rows[f"{FIRST.name} raw crawler"]
    for dataset in SETTINGS.datasets:
        assert f"yes     {deployed.curated_database}.{dataset.table}, 0 partitions" in rows[f"{dataset.name} curated table"]
        if dataset is not FIRST:
            assert "state READY, never crawled" in rows[f"{dataset.name} raw crawler"]
    assert "state ENABLED, bytes scanned cutoff 1,073,741,824 bytes (1.0 GiB)" in rows["athena workgroup"]
    assert "state WAITING" in rows["EMR cluster"]
    assert deployed.cluster_id in rows["EMR cluster"]
    assert "yes     12 bytes" in rows["curation script"]


def test_status_of_a_half_deployed_stage_shows_what_is_missing(deployed, run_cli):
    client("ssm").delete_parameter(Name=f"{PARAMS}analytics/workgroup")
    client("s3").delete_bucket(Bucket=deployed.curated_bucket)
    client("glue").delete_table(DatabaseName=deployed.curated_database, Name=FIRST.table)
    result = run_cli("status")
    assert result.exit_code == 3
    rows = rows_by_resource(result.stdout)
    assert f"no      missing {PARAMS}analytics/workgroup (stack {PREFIX}-analytics)" in rows["athena workgroup"]
    assert deployed.curated_bucket in rows["curated bucket"]
    assert rows["curated bucket"].endswith("no      not found (404)")
    assert rows[f"{FIRST.name} curated table"].endswith("no      not found (EntityNotFoundException)")
    assert "yes" in rows["raw bucket"]
    assert f"error: stage '{STAGE}' is not fully usable" in result.stderr


def test_status_of_an_undeployed_stage(aws, run_cli):
    result = run_cli("status")
    assert result.exit_code == 3
    assert result.stdout.count(f"missing {PARAMS}") == 11


def test_status_shows_when_the_tls_certificate_expires_and_asks_for_renewal_in_time(deployed, run_cli):
    import datetime

    ssm = client("ssm")
    name = f"{PARAMS}emr/tls-certificate-not-after"
    in_a_year = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=365, hours=1)
    ssm.put_parameter(Name=name, Value=in_a_year.isoformat(), Type="String")
    result = run_cli("status")
    assert result.exit_code == 0
    row = rows_by_resource(result.stdout)["EMR TLS certificate"]
    assert f"yes     self-signed, valid until {in_a_year:%Y-%m-%d} (365 days)" in row

    soon = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=10, hours=1)
    ssm.put_parameter(Name=name, Value=soon.isoformat(), Type="String", Overwrite=True)
    result = run_cli("status")
    assert result.exit_code == 1
    assert "(10 days): renew it, raise emr.tls_certificate_generation and deploy" in rows_by_resource(result.stdout)["EMR TLS certificate"]


def test_output_json_lists_every_row_and_keeps_the_exit_code(aws, run_cli):
    result = run_cli("status", "--output", "json")
    assert result.exit_code == 3  # nothing deployed
    document = json.loads(result.stdout)
    assert (document["project"], document["stage"]) == (SETTINGS.project, STAGE)
    assert document["resources"][0] == {"resource": "KMS key", "name": "-", "exists": "no",
                                        "details": f"missing {PARAMS}storage/kms-key-arn (stack {PREFIX}-storage)"}
    assert {row["exists"] for row in document["resources"]} == {"no"}
    assert f"error: stage '{STAGE}' is not fully usable" in result.stderr
