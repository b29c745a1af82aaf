"""Glue databases; per dataset the raw crawler, the declared curated table and the Data Quality
ruleset; the crawler security configuration and catalog encryption. Names and datasets come
from the settings, so the same assertions hold for dev, prod and a fork (the `lake` fixture)."""
import json

from aws_cdk.assertions import Match

from lake_constructs.catalog.data_quality_rules import dqdl
from lake_constructs.catalog.zone_crawler import CRAWLER_EXCLUSIONS
from stacks.catalog_stack import construct_id
from tests.aws_contracts.iam_policy import render


def resources(synth, type_: str) -> dict:
    return {k: r for k, r in synth.template_json("catalog")["Resources"].items() if r["Type"] == type_}


def crawler(synth, dataset) -> dict:
    (found,) = [r["Properties"] for r in resources(synth, "AWS::Glue::Crawler").values()
                if r["Properties"]["Name"] == f"{synth.settings.prefix}-{dataset.name}-raw"]
    return found


def test_a_database_per_zone(lake):
    template = lake.template("catalog")
    template.resource_count_is("AWS::Glue::Database", 2)
    for zone in ("raw", "curated"):
        template.has_resource_properties(
            "AWS::Glue::Database", {"DatabaseInput": Match.object_like({"Name": f"{lake.settings.glue_prefix}_{zone}"})}
        )


def test_prod_retains_databases_and_curated_tables(prod):
    for type_ in ("AWS::Glue::Database", "AWS::Glue::Table"):
        for resource in resources(prod, type_).values():
            assert resource["DeletionPolicy"] == "Retain"


def test_one_raw_crawler_per_dataset_and_the_curated_zone_is_not_crawled(lake):
    crawlers = resources(lake, "AWS::Glue::Crawler").values()
    assert len(crawlers) == len(lake.settings.datasets)
    assert {c["Properties"]["DatabaseName"] for c in crawlers} == {f"{lake.settings.glue_prefix}_raw"}


def test_raw_crawler_is_incremental_on_the_datasets_prefix(lake):
    for dataset in lake.settings.datasets:
        props = crawler(lake, dataset)
        assert props["RecrawlPolicy"] == {"RecrawlBehavior": "CRAWL_NEW_FOLDERS_ONLY"}
        # Glue accepts only a log-only schema-change policy with incremental crawls.
        assert props["SchemaChangePolicy"] == {"UpdateBehavior": "LOG", "DeleteBehavior": "LOG"}
        assert props["Schedule"] == {"ScheduleExpression": lake.settings.catalog.crawler_schedule}
        (target,) = props["Targets"]["S3Targets"]
        assert render(target["Path"], {}) == f"s3://{lake.settings.prefix}-raw-111122223333-eu-west-1/{dataset.raw_prefix}"
        assert {"**/_SUCCESS", "**/*.crc", "**/_temporary/**"} <= set(target["Exclusions"]) == set(CRAWLER_EXCLUSIONS)
        assert "Ref" in props["CrawlerSecurityConfiguration"]
        configuration = json.loads(props["Configuration"])
        assert configuration["CrawlerOutput"]["Partitions"]["AddOrUpdateBehavior"] == "InheritFromTable"
        assert configuration["CreatePartitionIndex"] is False, "an encrypted Data Catalog has no partition indexes"


def test_a_csv_classifier_only_for_csv_datasets_with_their_delimiter(lake):
    classifiers = resources(lake, "AWS::Glue::Classifier")
    for dataset in lake.settings.datasets:
        used = crawler(lake, dataset).get("Classifiers", [])
        if dataset.raw_format != "csv":
            assert used == [], f"{dataset.name} is {dataset.raw_format}: a CSV classifier must not apply"
            continue
        (ref,) = used
        csv = classifiers[ref["Ref"]]["Properties"]["CsvClassifier"]
        assert csv == {
            "Name": f"{lake.settings.prefix}-{dataset.name}-csv",
            "ContainsHeader": "PRESENT",
            "Delimiter": dataset.csv_delimiter,
            "QuoteSymbol": '"',
        }
    assert len(classifiers) == len([d for d in lake.settings.datasets if d.raw_format == "csv"])


def test_curated_tables_are_declared_from_the_contract(lake):
    tables = resources(lake, "AWS::Glue::Table")
    for dataset in lake.settings.datasets:
        table = tables[f"{construct_id(dataset.name)}CuratedTable"]  # a fixed logical ID: never replaced
        props = table["Properties"]
        assert props["DatabaseName"] == f"{lake.settings.glue_prefix}_curated"
        table_input = props["TableInput"]
        assert table_input["Name"] == dataset.table and table_input["TableType"] == "EXTERNAL_TABLE"
        assert table_input["PartitionKeys"] == [{"Name": dataset.partition, "Type": "string"}]
        descriptor = table_input["StorageDescriptor"]
        assert [(c["Name"], c["Type"]) for c in descriptor["Columns"]] == [(c.name, c.type) for c in dataset.columns]
        assert descriptor["SerdeInfo"]["SerializationLibrary"].endswith("ParquetHiveSerDe")
        assert descriptor["InputFormat"].endswith("MapredParquetInputFormat")
        assert render(descriptor["Location"], {}) == (
            f"s3://{lake.settings.prefix}-curated-111122223333-eu-west-1/{dataset.curated_prefix}"
        )
        assert table["DeletionPolicy"] == ("Retain" if lake.settings.retain_data else "Delete")


def test_a_data_quality_ruleset_on_each_curated_table(lake):
    rulesets = [r["Properties"] for r in resources(lake, "AWS::Glue::DataQualityRuleset").values()]
    assert sorted(r["Name"] for r in rulesets) == sorted(f"{lake.settings.prefix}-{d.name}" for d in lake.settings.datasets)
    for dataset in lake.settings.datasets:
        (ruleset,) = [r for r in rulesets if r["Name"] == f"{lake.settings.prefix}-{dataset.name}"]
        assert ruleset["TargetTable"] == {"DatabaseName": f"{lake.settings.glue_prefix}_curated", "TableName": dataset.table}
        assert ruleset["Ruleset"] == dqdl(dataset)


def test_security_configuration_encrypts_logs_and_s3_with_the_lake_key(stage):
    (config,) = resources(stage, "AWS::Glue::SecurityConfiguration").values()
    encryption = config["Properties"]["EncryptionConfiguration"]
    key = encryption["CloudWatchEncryption"]["KmsKeyArn"]
    assert encryption["CloudWatchEncryption"]["CloudWatchEncryptionMode"] == "SSE-KMS"
    assert encryption["S3Encryptions"] == [{"S3EncryptionMode": "SSE-KMS", "KmsKeyArn": key}]
    assert encryption["JobBookmarksEncryption"]["JobBookmarksEncryptionMode"] == "CSE-KMS"
    assert "LakeKey" in json.dumps(key)


def test_only_the_owner_stage_sets_the_accounts_catalog_encryption_and_it_keeps_its_key(stage):
    owns = stage.settings.catalog.manage_data_catalog_encryption
    found = stage.template("catalog").find_resources("AWS::Glue::DataCatalogEncryptionSettings")
    assert len(found) == (1 if owns else 0)
    if owns:
        (key,) = stage.template("storage").find_resources("AWS::KMS::Key").values()
        assert key["DeletionPolicy"] == "Retain", "a key pending deletion would make the catalog unreadable"


def test_data_catalog_metadata_and_connection_passwords_encrypted(prod):
    (settings,) = prod.template("catalog").find_resources("AWS::Glue::DataCatalogEncryptionSettings").values()
    props = settings["Properties"]["DataCatalogEncryptionSettings"]
    assert props["EncryptionAtRest"]["CatalogEncryptionMode"] == "SSE-KMS"
    assert props["ConnectionPasswordEncryption"]["ReturnConnectionPasswordEncrypted"] is True
    assert "LakeKey" in json.dumps(props["EncryptionAtRest"]) and "LakeKey" in json.dumps(props["ConnectionPasswordEncryption"])


def test_catalog_roles_have_exact_actions_and_customer_managed_policies_only(lake):
    """What the evaluator cannot see: no wildcard actions, no deletes, no inline or AWS-managed
    policy (tests/stacks/test_lake_access_contracts.py evaluates the calls themselves)."""
    policies = resources(lake, "AWS::IAM::ManagedPolicy").values()
    statements = [s for p in policies for s in p["Properties"]["PolicyDocument"]["Statement"]]
    actions = [a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])]
    assert not [a for a in actions if "*" in a], "no wildcard actions"
    assert not [a for a in actions if ":Delete" in a and a != "logs:DeleteLogStream"], "catalog roles never delete"
    for role in resources(lake, "AWS::IAM::Role").values():
        assert "ManagedPolicyArns" not in role["Properties"] and "Policies" not in role["Properties"]
    assert resources(lake, "AWS::IAM::Policy") == {}
    # A crawler and a Data Quality evaluation role per dataset, nothing else.
    assert len(resources(lake, "AWS::IAM::Role")) == 2 * len(lake.settings.datasets)
