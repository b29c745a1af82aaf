"""status: every resource of the stage, whether it exists, and its key facts."""

from tests.lakeops.fakes import client, create_sales_table


def rows_by_resource(stdout: str) -> dict[str, str]:
    lines = stdout.splitlines()[2:]  # header and separator
    return {line[:21].strip(): line for line in lines}


def test_status_of_a_deployed_stage(deployed, sim, run_cli, sample_dir):
    assert run_cli("upload-sample", "--sample-dir", str(sample_dir)).exit_code == 0
    create_sales_table(deployed.raw_database, deployed.raw_bucket, ["2024-01-01", "2024-01-02"])
    client("glue").start_crawler(Name=deployed.raw_crawler)
    client("glue").get_crawler(Name=deployed.raw_crawler)  # the simulated crawl advances on each look
    client("glue").get_crawler(Name=deployed.raw_crawler)

    result = run_cli("status")
    assert result.exit_code == 0, result.output
    rows = rows_by_resource(result.stdout)
    assert list(rows) == ["KMS key", "raw bucket", "curated bucket", "athena results bucket", "logs bucket",
                          "raw database", "curated database", "raw crawler", "curated crawler",
                          "athena workgroup", "EMR cluster", "curation script", "EMR log location"]
    assert "yes     key state Enabled" in rows["KMS key"]
    assert "yes     2 objects under sales/, 57 bytes" in rows["raw bucket"]
    assert "yes     0 objects under sales/, 0 bytes" in rows["curated bucket"]
    assert "tables: sales (2 partitions)" in rows["raw database"]
    assert "tables: none" in rows["curated database"]
    assert "state READY, last crawl SUCCEEDED started " in rows["raw crawler"]
    assert "state READY, never crawled" in rows["curated crawler"]
    assert "state ENABLED, bytes scanned cutoff 1,073,741,824 bytes (1.0 GiB)" in rows["athena workgroup"]
    assert "state WAITING" in rows["EMR cluster"]
    assert deployed.cluster_id in rows["EMR cluster"]
    assert "yes     12 bytes" in rows["curation script"]


def test_status_of_a_half_deployed_stage_shows_what_is_missing(deployed, run_cli):
    client("ssm").delete_parameter(Name="/datalake/dev/analytics/workgroup")
    client("s3").delete_bucket(Bucket=deployed.curated_bucket)
    result = run_cli("status")
    assert result.exit_code == 3
    rows = rows_by_resource(result.stdout)
    assert "no      missing /datalake/dev/analytics/workgroup (stack datalake-dev-analytics)" \
        in rows["athena workgroup"]
    assert deployed.curated_bucket in rows["curated bucket"]
    assert rows["curated bucket"].endswith("no      not found (404)")
    assert "yes" in rows["raw bucket"]
    assert "error: stage 'dev' is not fully usable" in result.stderr


def test_status_of_an_undeployed_stage(aws, run_cli):
    result = run_cli("status")
    assert result.exit_code == 3
    assert result.stdout.count("missing /datalake/dev/") == 13


def test_status_shows_when_the_tls_certificate_expires_and_asks_for_renewal_in_time(deployed, run_cli):
    import datetime

    ssm = client("ssm")
    name = "/datalake/dev/emr/tls-certificate-not-after"
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
