"""Network and EMR settings: documented defaults, cdk.json values, and one clear line per mistake."""
import pytest

from lake_config import ConfigError, load_settings
from lake_config.emr_settings import EmrSettings, NetworkSettings, capacity_units, is_graviton
from tests.helpers import CDK_CONTEXT, config_error, stage_context

EXISTING_VPC = {
    "vpc_id": "vpc-0a1b2c3d4e5f60718",
    "availability_zones": ["eu-west-1a", "eu-west-1b"],
    "private_subnet_ids": ["subnet-0a1b2c3d4e5f60718", "subnet-0f1e2d3c4b5a69788"],
}


def context_with(section: str, values: dict, replace: bool = False) -> dict:
    return stage_context(replace=replace, **{section: values})


def error_for(section: str, values: dict, replace: bool = False) -> str:
    return config_error(context_with(section, values, replace))


def test_defaults_are_the_documented_ones():
    emr, network = EmrSettings(), NetworkSettings()
    assert emr.enabled is True and emr.release_label == "emr-7.13.0"
    assert emr.idle_timeout_seconds == 3600 and emr.termination_protection is True
    assert emr.spot_timeout_action == "SWITCH_TO_ON_DEMAND" and emr.on_demand_capacity_units == emr.core_capacity_units == 2
    assert emr.tls_certificate_s3_uri is None and len(emr.task_instance_types) >= 5
    assert network.nat_gateways == 1 and network.vpc_id is None and network.flow_logs_retention_days == 90


def test_cdk_json_stages_load():
    dev = load_settings(CDK_CONTEXT | {"stage": "dev"})
    prod = load_settings(CDK_CONTEXT | {"stage": "prod"})
    assert (dev.emr.termination_protection, prod.emr.termination_protection) == (False, True)
    assert dev.emr.enabled and prod.emr.enabled
    assert (dev.network.nat_gateways, prod.network.nat_gateways) == (1, 2)


def test_an_existing_vpc_loads():
    network = load_settings(context_with("network", EXISTING_VPC, replace=True)).network
    assert network.vpc_id == EXISTING_VPC["vpc_id"] and network.private_subnet_ids == EXISTING_VPC["private_subnet_ids"]


def test_idle_timeout_is_switched_off_with_0_not_null():
    assert load_settings(context_with("emr", {"idle_timeout_seconds": 0})).emr.idle_timeout_seconds == 0
    message = error_for("emr", {"idle_timeout_seconds": None})
    assert message.startswith("invalid setting stages.dev.emr.idle_timeout_seconds: null does not reach the app")
    assert "use 0" in message


def test_a_null_in_cdk_json_is_refused_although_the_cdk_app_never_sees_it():
    """The CDK CLI passes null context values in CDK_CONTEXT_JSON; the CDK app drops them."""
    cli = context_with("emr", {"idle_timeout_seconds": None})
    dropped = context_with("emr", {})
    dropped["stages"]["dev"]["emr"].pop("idle_timeout_seconds")
    message = config_error_with_cli(dropped, cli)
    assert message.startswith("invalid setting stages.dev.emr.idle_timeout_seconds: null never reaches the app")
    assert message.endswith("or use 0 to switch idle auto-termination off")
    other = context_with("network", {"vpc_id": None})
    assert config_error_with_cli(dropped, other).startswith("invalid setting stages.dev.network.vpc_id: null never reaches")


def config_error_with_cli(context: dict, cli: dict) -> str:
    with pytest.raises(ConfigError) as raised:
        load_settings(context, cli)
    return str(raised.value)


@pytest.mark.parametrize(
    "section, values, setting, expected",
    [
        ("emr", {"task_instance_types": []}, "emr.task_instance_types", "List should have at least 1 item"),
        ("emr", {"primary_instance_types": []}, "emr.primary_instance_types", "List should have at least 1 item"),
        ("emr", {"idle_timeout_seconds": 59}, "emr.idle_timeout_seconds", "must be 60-604800 seconds (EMR's AutoTerminationPolicy range), or 0 for off"),
        ("emr", {"idle_timeout_seconds": 604801}, "emr.idle_timeout_seconds", "must be 60-604800 seconds"),
        ("emr", {"idle_timeout_seconds": -1}, "emr.idle_timeout_seconds", "must be 60-604800 seconds"),
        ("network", {"availability_zones": ["eu-west-1a", "eu-west-1a"]}, "network.availability_zones", "lists 'eu-west-1a' twice"),
        ("emr", {"task_instance_types": ["m6g.xlarge", "m6g.xlarge"]}, "emr.task_instance_types", "lists 'm6g.xlarge' twice"),
        ("emr", {"core_instance_types": ["r6g.xlarge", "r6g.xlarge"]}, "emr.core_instance_types", "lists 'r6g.xlarge' twice"),
        ("emr", {"tls_certificate_validity_days": 20}, "emr.tls_certificate_validity_days", "greater than or equal to 30"),
        ("emr", {"tls_certificate_generation": 0}, "emr.tls_certificate_generation", "greater than or equal to 1"),
        ("network", {"interface_endpoints": ["glue", "kms", "glue"]}, "network.interface_endpoints", "lists 'glue' twice"),
        ("network", {"interface_endpoints": ["com.amazonaws.eu-west-1.glue"]}, "network.interface_endpoints.0", "short service name (e.g. 'glue'), without 'com.amazonaws.<region>.'"),
        ("network", {"interface_endpoints": ["Glue API"]}, "network.interface_endpoints.0", "short interface endpoint service name"),
        ("emr", {"idle_timeout_seconds": "3600"}, "emr.idle_timeout_seconds", "valid integer"),
        ("emr", {"release_label": "emr-7.13"}, "emr.release_label", "EMR release label of 7.x or later, e.g. 'emr-7.13.0'"),
        ("emr", {"release_label": "7.13.0"}, "emr.release_label", "EMR release label of 7.x or later"),
        ("emr", {"release_label": "emr-6.15.0"}, "emr.release_label", "EMR release label of 7.x or later"),
        ("emr", {"task_instance_types": ["m6g.large"]}, "emr.task_instance_types.0", "size xlarge or larger"),
        ("emr", {"spot_timeout_action": "WAIT"}, "emr.spot_timeout_action", "'SWITCH_TO_ON_DEMAND' or 'TERMINATE_CLUSTER'"),
        ("emr", {"spot_timeout_minutes": 2}, "emr.spot_timeout_minutes", "greater than or equal to 5"),
        ("emr", {"tls_certificate_s3_uri": "s3://bucket/certs.tar"}, "emr.tls_certificate_s3_uri", "should match pattern"),
        ("emr", {"instance_type": "m6g.xlarge"}, "emr.instance_type", "unknown setting; allowed settings here are enabled, release_label"),
        ("network", {"nat_gateways": -1}, "network.nat_gateways", "greater than or equal to 0"),
        ("network", {"nat_gateways": 3}, "network.nat_gateways", "less than or equal to 2"),
        ("network", {"vpc_cidr": "10.0.0.0/8"}, "network.vpc_cidr", "/16 to /24"),
        ("network", {"vpc_cidr": "10.40.0.300/16"}, "network.vpc_cidr", "IPv4 network in CIDR notation"),
        ("network", {"flow_logs_retention_days": 10}, "network.flow_logs_retention_days", "CloudWatch Logs retention period"),
        ("network", {"vpc_id": "vpc-xyz"}, "network.vpc_id", "should match pattern"),
    ],
)
def test_bad_values_name_the_setting(section, values, setting, expected):
    message = error_for(section, values)
    assert message.startswith(f"invalid setting stages.dev.{setting}: "), message
    assert expected in message, message


@pytest.mark.parametrize(
    "section, values, replace, expected",
    [
        (
            "emr",
            {"max_on_demand_capacity_units": 11, "max_capacity_units": 10},
            False,
            "emr.max_on_demand_capacity_units (11) must be between emr.core_capacity_units (2) and emr.max_capacity_units (10)",
        ),
        (
            "emr",
            {"max_on_demand_capacity_units": 1},
            False,
            "emr.max_on_demand_capacity_units (1) must be between emr.core_capacity_units (2)",
        ),
        (
            "emr",
            {"max_capacity_units": 2},
            False,
            "emr.max_capacity_units (2) must be at least emr.core_capacity_units + emr.task_spot_capacity_units (3)",
        ),
        (
            "emr",
            {"task_instance_types": ["m6g.xlarge", "m7i.xlarge"]},
            False,
            "emr.task_instance_types mixes CPU architectures: m7i.xlarge is not Graviton (arm64) like m6g.xlarge",
        ),
        (
            "network",
            {"nat_gateways": 0},
            False,
            "network.nat_gateways is 0, so the private subnets reach no AWS API: list network.interface_endpoints",
        ),
        ("network", {**EXISTING_VPC, "nat_gateways": 1}, True, "network.nat_gateways configures the VPC this project creates"),
        ("network", {"vpc_id": EXISTING_VPC["vpc_id"]}, True, "network.vpc_id needs network.private_subnet_ids in at least two AZs"),
        ("network", {**EXISTING_VPC, "availability_zones": ["eu-west-1a"]}, True, "availability_zones naming the AZ of each subnet"),
        ("network", {"private_subnet_ids": EXISTING_VPC["private_subnet_ids"]}, True, "need network.vpc_id"),
        ("network", {**EXISTING_VPC, "private_route_table_ids": ["rtb-0a1b2c3d4e5f60718"]}, True, "one route table per subnet"),
    ],
)
def test_inconsistent_settings_are_explained(section, values, replace, expected):
    message = error_for(section, values, replace)
    assert message.startswith(f"invalid setting stages.dev.{section}: {section}."), message
    assert expected in message, message


def test_isolated_network_with_endpoints_loads():
    network = load_settings(context_with("network", {"nat_gateways": 0, "interface_endpoints": ["glue", "kms"]})).network
    assert network.nat_gateways == 0 and network.interface_endpoints == ["glue", "kms"]


@pytest.mark.parametrize("instance_type, units", [("m6g.xlarge", 1), ("r7g.2xlarge", 2), ("c7g.16xlarge", 16)])
def test_capacity_units_are_vcpus_over_four(instance_type, units):
    assert capacity_units(instance_type) == units


@pytest.mark.parametrize("instance_type", ["m6g.xlarge", "c7gn.2xlarge", "r6gd.xlarge", "g5g.xlarge", "im4gn.xlarge"])
def test_graviton_families(instance_type):
    assert is_graviton(instance_type)


@pytest.mark.parametrize("instance_type", ["m5.xlarge", "m7i.xlarge", "g5.xlarge", "m5zn.xlarge", "r6id.xlarge"])
def test_x86_families(instance_type):
    assert not is_graviton(instance_type)
