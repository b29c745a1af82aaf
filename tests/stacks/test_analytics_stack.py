"""The enforced Athena workgroup and the named queries."""
import json

import pytest


def workgroup(synth) -> dict:
    (found,) = synth.template("analytics").find_resources("AWS::Athena::WorkGroup").values()
    return found["Properties"]


def test_workgroup_is_enforced_engine_v3_with_metrics(stage):
    props = workgroup(stage)
    config = props["WorkGroupConfiguration"]
    assert props["Name"] == f"datalake-{stage.stage}"
    assert props["State"] == "ENABLED"
    assert config["EnforceWorkGroupConfiguration"] is True
    assert config["EngineVersion"] == {"SelectedEngineVersion": "Athena engine version 3"}
    assert config["PublishCloudWatchMetricsEnabled"] is True
    assert config["RequesterPaysEnabled"] is False


def test_results_are_sse_kms_with_the_lake_key_in_the_results_bucket(stage):
    results = workgroup(stage)["WorkGroupConfiguration"]["ResultConfiguration"]
    assert results["EncryptionConfiguration"]["EncryptionOption"] == "SSE_KMS"
    assert "LakeKey" in json.dumps(results["EncryptionConfiguration"]["KmsKey"])
    location = results["OutputLocation"]["Fn::Join"][1]
    assert location[0] == f"s3://datalake-{stage.stage}-athena-results-" and location[-1].endswith("/results/")


def test_bytes_scanned_cutoff_follows_settings(stage):
    cutoff = workgroup(stage)["WorkGroupConfiguration"]["BytesScannedCutoffPerQuery"]
    assert cutoff == stage.settings.analytics.bytes_scanned_cutoff_mb * 1024 * 1024
    assert cutoff >= 10_000_000  # Athena's minimum


def test_only_dev_may_delete_a_workgroup_with_history(dev, prod):
    assert workgroup(dev)["RecursiveDeleteOption"] is True
    assert workgroup(prod)["RecursiveDeleteOption"] is False


@pytest.mark.parametrize(
    "name, zone",
    [("revenue_by_day_raw", "raw"), ("revenue_by_day_curated", "curated"), ("top_products_curated", "curated"), ("rows_per_partition_raw", "raw")],
)
def test_named_queries_run_in_the_workgroup_against_their_zone(stage, name, zone):
    queries = stage.template("analytics").find_resources("AWS::Athena::NamedQuery", {"Properties": {"Name": name}})
    (query,) = queries.values()
    props = query["Properties"]
    assert props["WorkGroup"] == {"Ref": next(iter(stage.template("analytics").find_resources("AWS::Athena::WorkGroup")))}
    database = f"datalake_{stage.stage}_{zone}"
    assert props["Database"] == database
    assert f"FROM {database}.sales" in props["QueryString"]


def test_raw_and_curated_revenue_queries_ask_the_same_question(stage):
    queries = stage.template("analytics").find_resources("AWS::Athena::NamedQuery")
    by_name = {q["Properties"]["Name"]: q["Properties"]["QueryString"] for q in queries.values()}
    assert by_name["revenue_by_day_raw"].replace("_raw.", "_curated.") == by_name["revenue_by_day_curated"]
