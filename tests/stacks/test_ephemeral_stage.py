"""An ephemeral stage (-c stage=pr42 -c base_stage=prod) deploys beside its base and leaves nothing behind."""
import json

from lake_config.names import BUCKET_NAME_MAX, longest_region
from tests.aws_contracts.iam_policy import render

# S3 User Guide, "General purpose bucket naming rules".
BUCKET_NAME = r"(?!xn--|sthree-|amzn-s3-demo-)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](?<!-s3alias)(?<!--ol-s3)"


def test_nothing_is_retained_or_protected(ephemeral):
    assert ephemeral.settings.ephemeral and ephemeral.settings.base_stage == "prod"
    for name, stack in ephemeral.stacks.items():
        artifact = ephemeral.assembly.get_stack_by_name(stack.stack_name)
        assert artifact.termination_protection is False, name
        for logical_id, resource in artifact.template["Resources"].items():
            assert resource.get("DeletionPolicy", "Delete") == "Delete", f"{name}/{logical_id} is retained"
            assert resource.get("UpdateReplacePolicy", "Delete") == "Delete", f"{name}/{logical_id} is retained on replacement"
    (cluster,) = ephemeral.template("emr").find_resources("AWS::EMR::Cluster").values()
    assert cluster["Properties"]["Instances"]["TerminationProtected"] is False


def test_an_ephemeral_stage_never_owns_the_catalog_encryption(ephemeral, prod):
    assert prod.template("catalog").find_resources("AWS::Glue::DataCatalogEncryptionSettings")
    assert not ephemeral.template("catalog").find_resources("AWS::Glue::DataCatalogEncryptionSettings")


def test_every_name_is_its_own_and_every_bucket_name_is_valid_in_any_region(ephemeral, prod):
    import re

    assert {s.stack_name for s in ephemeral.stacks.values()}.isdisjoint(s.stack_name for s in prod.stacks.values())
    for synth in (ephemeral, prod):
        # the regions the stage can deploy to: its pinned one, else the longest commercial one
        pseudo = {"AWS::Region": longest_region(synth.settings.region), "AWS::AccountId": "123456789012"}
        for name in synth.stacks:
            template = synth.template_json(name)
            for resource in template["Resources"].values():
                if resource["Type"] == "AWS::S3::Bucket" and "BucketName" in resource["Properties"]:
                    bucket = render(resource["Properties"]["BucketName"], template, pseudo=pseudo)
                    assert len(bucket) <= BUCKET_NAME_MAX and re.fullmatch(BUCKET_NAME, bucket), bucket
                    assert f"-{synth.stage}-" in bucket
    parameters = json.dumps(ephemeral.template("storage").find_resources("AWS::SSM::Parameter"))
    project = ephemeral.settings.project
    assert f"/{project}/pr42/" in parameters and f"/{project}/prod/" not in parameters
