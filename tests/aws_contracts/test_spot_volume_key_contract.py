"""Spot task nodes launch with EBS volumes encrypted by the lake key, and the key's policy names
neither the Spot nor the EC2 Fleet service-linked role.

AWS: EC2 User Guide, "Service-linked role for Spot Instance requests", section "Grant access to
customer managed keys for use with encrypted AMIs and EBS snapshots": "If you specify an
encrypted AMI or an encrypted Amazon EBS snapshot for your Spot Instances and you use a customer
managed key for encryption, you must grant the AWSServiceRoleForEC2Spot role permission to use
the customer managed key so that Amazon EC2 can launch Spot Instances on your behalf." EC2 User
Guide, "EC2 Fleet prerequisites": the same condition for AWSServiceRoleForEC2Fleet, and "An
instant EC2 Fleet does not require this role."

The cluster names no AMI (no CustomAmiId): its nodes boot EMR's default AMI, whose snapshots the
lake key does not encrypt, so neither condition holds. The volumes are encrypted when EMR creates
them, through grants its service role creates (EMR Management Guide, "Create keys and
certificates for data encryption with Amazon EMR": for EBS encryption, grant the EMR service role
permission to use the key; AWS Knowledge Center, "kms-iam-ec2-permission": "The IAM principal
that calls the StartInstances API action must have kms:CreateGrant permissions to create a grant
for Amazon EC2"), which tests/stacks/test_emr_stack.py checks. Naming a role that does not need
the key would only widen who may use it. If a cluster ever boots a custom AMI encrypted with the
lake key, the first test fails: add the grant the pages describe for that role."""
import json

from tests.aws_contracts.iam_policy import render

SERVICE_LINKED_ROLES = ("AWSServiceRoleForEC2Spot", "AWSServiceRoleForEC2Fleet")


def keys_named(node, name: str) -> list:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == name] + [x for v in node.values() for x in keys_named(v, name)]
    if isinstance(node, list):
        return [x for item in node for x in keys_named(item, name)]
    return []


def test_the_spot_nodes_boot_emrs_default_ami(stage):
    cluster = stage.emr_cluster_properties()
    assert any(capacity > 0 for capacity in keys_named(cluster["Instances"], "TargetSpotCapacity")), "the task fleet runs on Spot"
    assert keys_named(cluster, "CustomAmiId") == [], "an AMI encrypted with the lake key needs the Spot/Fleet role granted"


def test_the_lake_key_names_no_spot_or_fleet_service_linked_role(stage):
    storage = stage.template_json("storage")
    (key,) = [r for r in storage["Resources"].values() if r["Type"] == "AWS::KMS::Key"]
    policy = render(key["Properties"]["KeyPolicy"], storage)
    principals = json.dumps([statement.get("Principal") for statement in policy["Statement"]])
    assert policy["Statement"] and not any(role in principals for role in SERVICE_LINKED_ROLES)
    assert "aws-service-role/" not in principals
