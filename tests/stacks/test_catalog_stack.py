"""Glue databases, crawlers, the crawler security configuration and catalog encryption."""
import json

import pytest
from aws_cdk.assertions import Match

from lake_constructs.catalog.zone_crawler import CRAWLER_EXCLUSIONS


def crawler(synth, zone: str) -> dict:
    crawlers = synth.template("catalog").find_resources("AWS::Glue::Crawler", {"Properties": {"Name": f"datalake-{synth.stage}-{zone}"}})
    (found,) = crawlers.values()
    return found["Properties"]


def test_a_database_per_zone(stage):
    template = stage.template("catalog")
    template.resource_count_is("AWS::Glue::Database", 2)
    for zone in ("raw", "curated"):
        template.has_resource_properties(
            "AWS::Glue::Database", {"DatabaseInput": Match.object_like({"Name": f"datalake_{stage.stage}_{zone}"})}
        )


def test_prod_retains_databases(prod):
    for database in prod.template("catalog").find_resources("AWS::Glue::Database").values():
        assert database["DeletionPolicy"] == "Retain"


def test_raw_crawler_is_incremental_with_header_classifier(stage):
    props = crawler(stage, "raw")
    assert props["RecrawlPolicy"] == {"RecrawlBehavior": "CRAWL_NEW_FOLDERS_ONLY"}
    # Glue accepts only a log-only schema-change policy with incremental crawls.
    assert props["SchemaChangePolicy"] == {"UpdateBehavior": "LOG", "DeleteBehavior": "LOG"}
    (classifier,) = props["Classifiers"]
    stage.template("catalog").has_resource_properties(
        "AWS::Glue::Classifier", {"CsvClassifier": Match.object_like({"ContainsHeader": "PRESENT", "Delimiter": ","})}
    )
    assert classifier == {"Ref": Match.any_value()} or "Ref" in classifier


def test_curated_crawler_updates_schema_but_never_deletes_tables(stage):
    props = crawler(stage, "curated")
    assert props["RecrawlPolicy"] == {"RecrawlBehavior": "CRAWL_EVERYTHING"}
    assert props["SchemaChangePolicy"] == {"UpdateBehavior": "UPDATE_IN_DATABASE", "DeleteBehavior": "LOG"}


@pytest.mark.parametrize("zone", ["raw", "curated"])
def test_crawler_schedule_target_exclusions_and_security_configuration(stage, zone):
    props = crawler(stage, zone)
    assert props["Schedule"] == {"ScheduleExpression": stage.settings.catalog.crawler_schedule}
    assert props["DatabaseName"] == f"datalake_{stage.stage}_{zone}"
    (target,) = props["Targets"]["S3Targets"]
    assert target["Path"]["Fn::Join"][1][0] == f"s3://datalake-{stage.stage}-{zone}-"
    assert target["Path"]["Fn::Join"][1][-1].endswith("/sales/")
    assert {"**/_SUCCESS", "**/*.crc", "**/_temporary/**"} <= set(target["Exclusions"]) == set(CRAWLER_EXCLUSIONS)
    assert props["CrawlerSecurityConfiguration"] == {"Ref": Match.any_value()} or "Ref" in props["CrawlerSecurityConfiguration"]
    configuration = json.loads(props["Configuration"])
    assert configuration["CrawlerOutput"]["Partitions"]["AddOrUpdateBehavior"] == "InheritFromTable"
    assert configuration["CreatePartitionIndex"] is False, "an encrypted Data Catalog has no partition indexes"


def test_security_configuration_encrypts_logs_and_s3_with_the_lake_key(stage):
    (config,) = stage.template("catalog").find_resources("AWS::Glue::SecurityConfiguration").values()
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


@pytest.mark.parametrize("zone", ["raw", "curated"])
def test_crawler_role_is_least_privilege(stage, zone):
    template = stage.template("catalog")
    role_name = crawler(stage, zone)["Role"]["Fn::GetAtt"][0]
    policies = [
        p["Properties"]
        for p in template.find_resources("AWS::IAM::ManagedPolicy").values()
        if {"Ref": role_name} in p["Properties"]["Roles"]
    ]
    (policy,) = policies
    statements = policy["PolicyDocument"]["Statement"]
    actions = [a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])]
    assert not [a for a in actions if "*" in a], "no wildcard actions"
    assert not [a for a in actions if a.startswith("glue:Delete")], "a crawler never deletes tables"
    (get_object,) = [s for s in statements if s["Action"] == "s3:GetObject"]
    assert json.dumps(get_object["Resource"]).endswith('/sales/*"]]}')
    assert f"datalake-{stage.stage}-{zone}-" in json.dumps(get_object["Resource"])
    role = template.find_resources("AWS::IAM::Role")[role_name]["Properties"]
    assert "ManagedPolicyArns" not in role and "Policies" not in role
    assert template.find_resources("AWS::IAM::Policy") == {}
