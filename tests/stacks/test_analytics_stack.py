"""The enforced Athena workgroup and the named queries."""
import json


def workgroup(synth) -> dict:
    (found,) = synth.template("analytics").find_resources("AWS::Athena::WorkGroup").values()
    return found["Properties"]


def test_workgroup_is_enforced_engine_v3_with_metrics(lake):
    props = workgroup(lake)
    config = props["WorkGroupConfiguration"]
    assert props["Name"] == lake.settings.prefix
    assert props["State"] == "ENABLED"
    assert config["EnforceWorkGroupConfiguration"] is True
    assert config["EngineVersion"] == {"SelectedEngineVersion": "Athena engine version 3"}
    assert config["PublishCloudWatchMetricsEnabled"] is True
    assert config["RequesterPaysEnabled"] is False


def test_results_are_sse_kms_with_the_lake_key_in_the_results_bucket(lake):
    results = workgroup(lake)["WorkGroupConfiguration"]["ResultConfiguration"]
    assert results["EncryptionConfiguration"]["EncryptionOption"] == "SSE_KMS"
    assert "LakeKey" in json.dumps(results["EncryptionConfiguration"]["KmsKey"])
    location = results["OutputLocation"]["Fn::Join"][1]
    assert location[0] == f"s3://{lake.settings.prefix}-athena-results-" and location[-1].endswith("/results/")


def test_bytes_scanned_cutoff_follows_settings(stage):
    cutoff = workgroup(stage)["WorkGroupConfiguration"]["BytesScannedCutoffPerQuery"]
    assert cutoff == stage.settings.analytics.bytes_scanned_cutoff_mb * 1024 * 1024
    assert cutoff >= 10_000_000  # Athena's minimum


def test_only_dev_may_delete_a_workgroup_with_history(dev, prod):
    assert workgroup(dev)["RecursiveDeleteOption"] is True
    assert workgroup(prod)["RecursiveDeleteOption"] is False


def named_queries(synth) -> dict[str, dict]:
    return {q["Properties"]["Name"]: q["Properties"] for q in synth.template("analytics").find_resources("AWS::Athena::NamedQuery").values()}


def test_each_contract_query_runs_in_the_workgroup_against_each_zone_it_lists(lake):
    queries = named_queries(lake)
    expected = {q.query_name(z) for d in lake.settings.datasets for q in d.named_queries for z in q.zones}
    assert set(queries) == expected
    workgroup_ref = {"Ref": next(iter(lake.template("analytics").find_resources("AWS::Athena::WorkGroup")))}
    for dataset in lake.settings.datasets:
        for query in dataset.named_queries:
            for zone in query.zones:
                props = queries[query.query_name(zone)]
                database = f"{lake.settings.glue_prefix}_{zone}"
                table = dataset.raw_table if zone == "raw" else dataset.table
                assert props["WorkGroup"] == workgroup_ref
                assert props["Database"] == database
                assert props["QueryString"] == query.render(database=database, table=table)


def test_every_shipped_dataset_asks_one_question_of_both_zones(lake):
    """The smoke test compares raw and curated: each dataset needs a query over both."""
    queries = named_queries(lake)
    for dataset in lake.settings.datasets:
        (query, *_) = [q for q in dataset.named_queries if set(q.zones) == {"raw", "curated"}]
        raw, curated = queries[query.query_name("raw")]["QueryString"], queries[query.query_name("curated")]["QueryString"]
        raw_from = f"{lake.settings.glue_prefix}_raw.{dataset.raw_table}"
        assert raw.replace(raw_from, f"{lake.settings.glue_prefix}_curated.{dataset.table}") == curated
