"""The processing network: private cluster subnets in two AZs, NAT, S3 endpoint, flow logs."""
import json

import pytest

from tests.conftest import synthesize

EMR_TAG = {"Key": "for-use-with-amazon-emr-managed-policies", "Value": "true"}
ISOLATED = {
    "nat_gateways": 0,
    "interface_endpoints": ["glue", "kms", "sts", "ssm", "ssmmessages", "ec2messages", "elasticmapreduce"],
    "flow_logs_retention_days": 7,
}


@pytest.fixture(scope="module")
def isolated(tmp_path_factory):
    """dev without NAT: the one alternative network this module synthesizes."""
    return synthesize("dev", tmp_path_factory.mktemp("cdk-isolated"), network=ISOLATED)


def resources(synth, type_: str) -> dict:
    return {k: r for k, r in synth.template_json("network")["Resources"].items() if r["Type"] == type_}


def subnets(synth, group: str) -> dict:
    return {
        k: r
        for k, r in resources(synth, "AWS::EC2::Subnet").items()
        if {"Key": "aws-cdk:subnet-name", "Value": group} in r["Properties"]["Tags"]
    }


def test_cluster_subnets_are_private_in_two_azs_and_tagged_for_emr(stage):
    cluster = subnets(stage, "cluster")
    assert len(cluster) == 2
    assert sorted(json.dumps(s["Properties"]["AvailabilityZone"]) for s in cluster.values()) == [
        json.dumps({"Fn::Select": [index, {"Fn::GetAZs": ""}]}) for index in (0, 1)
    ], "AZs resolve at deploy time: synth never looks them up"
    for subnet in cluster.values():
        assert subnet["Properties"]["MapPublicIpOnLaunch"] is False
        assert {"Key": "aws-cdk:subnet-type", "Value": "Private"} in subnet["Properties"]["Tags"]
        assert EMR_TAG in subnet["Properties"]["Tags"]


NAT_RESOURCE = {"gateway": ("AWS::EC2::NatGateway", "NatGatewayId"), "instance": ("AWS::EC2::Instance", "InstanceId")}


def test_nat_as_configured_in_public_subnets_without_public_ips(stage):
    network = stage.settings.network
    nat_type, other = (NAT_RESOURCE[network.nat_provider][0], NAT_RESOURCE[{"gateway": "instance", "instance": "gateway"}[network.nat_provider]][0])
    assert len(resources(stage, nat_type)) == network.nat_gateways and not resources(stage, other)
    nat_subnets = subnets(stage, "nat")
    assert all(s["Properties"]["MapPublicIpOnLaunch"] is False for s in nat_subnets.values())
    assert all(EMR_TAG not in s["Properties"]["Tags"] for s in nat_subnets.values()), "EMR may only use the cluster subnets"


def test_cluster_subnets_route_out_through_nat_only(stage):
    cluster_ids = set(subnets(stage, "cluster"))
    tables = {
        a["Properties"]["RouteTableId"]["Ref"]
        for a in resources(stage, "AWS::EC2::SubnetRouteTableAssociation").values()
        if a["Properties"]["SubnetId"]["Ref"] in cluster_ids
    }
    routes = [r["Properties"] for r in resources(stage, "AWS::EC2::Route").values() if r["Properties"]["RouteTableId"]["Ref"] in tables]
    target = NAT_RESOURCE[stage.settings.network.nat_provider][1]
    assert len(routes) == 2 and all(target in r and "GatewayId" not in r for r in routes)


def test_a_nat_instance_translates_only_https_from_the_vpc_with_imdsv2_and_an_encrypted_disk(dev):
    assert dev.settings.network.nat_provider == "instance"
    (instance,) = resources(dev, "AWS::EC2::Instance").values()
    props = instance["Properties"]
    assert props["InstanceType"] == dev.settings.network.nat_instance_type
    assert props["SourceDestCheck"] is False, "a NAT instance forwards traffic that is not its own"
    assert props["MetadataOptions"] == {"HttpTokens": "required", "HttpPutResponseHopLimit": 1}
    assert all(m["Ebs"]["Encrypted"] is True for m in props["BlockDeviceMappings"])
    (interface,) = props["NetworkInterfaces"]
    assert interface["AssociatePublicIpAddress"] is True and interface["SubnetId"]["Ref"] in subnets(dev, "nat")
    (group_id,) = [g["Fn::GetAtt"][0] for g in interface["GroupSet"]]
    ingress = [r["Properties"] for r in resources(dev, "AWS::EC2::SecurityGroupIngress").values() if r["Properties"]["GroupId"]["Fn::GetAtt"][0] == group_id]
    inline = resources(dev, "AWS::EC2::SecurityGroup")[group_id]["Properties"].get("SecurityGroupIngress", [])
    rules = [(r["IpProtocol"], r["FromPort"], r["ToPort"], r["CidrIp"]) for r in ingress + inline]
    assert rules == [("tcp", 443, 443, dev.settings.network.vpc_cidr)]


def test_s3_gateway_endpoint_serves_the_cluster_subnets(stage):
    (endpoint,) = resources(stage, "AWS::EC2::VPCEndpoint").values()
    props = endpoint["Properties"]
    assert props["VpcEndpointType"] == "Gateway"
    assert props["ServiceName"] == {"Fn::Join": ["", ["com.amazonaws.", {"Ref": "AWS::Region"}, ".s3"]]}
    route_table_refs = {ref["Ref"] for ref in props["RouteTableIds"]}
    assert {t for t in resources(stage, "AWS::EC2::RouteTable") if t.startswith("Vpccluster")} <= route_table_refs


def test_flow_logs_record_all_traffic_into_a_log_group_encrypted_with_the_lake_key(stage):
    (flow_log,) = resources(stage, "AWS::EC2::FlowLog").values()
    props = flow_log["Properties"]
    assert (props["ResourceType"], props["TrafficType"], props["LogDestinationType"]) == ("VPC", "ALL", "cloud-watch-logs")
    ((log_group_id, log_group),) = resources(stage, "AWS::Logs::LogGroup").items()
    assert props["LogGroupName"] == {"Ref": log_group_id}
    assert "LakeKey" in json.dumps(log_group["Properties"]["KmsKeyId"])
    assert log_group["Properties"]["RetentionInDays"] == stage.settings.network.flow_logs_retention_days


def test_flow_logs_role_guards_the_confused_deputy_and_has_no_inline_policy(stage):
    (role,) = [r for k, r in resources(stage, "AWS::IAM::Role").items() if k.startswith("FlowLogsRole")]
    (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert ":vpc-flow-log/*" in json.dumps(statement["Condition"]["ArnLike"]["aws:SourceArn"])
    assert "Policies" not in role["Properties"] and "ManagedPolicyArns" not in role["Properties"]
    (policy,) = resources(stage, "AWS::IAM::ManagedPolicy").values()
    (allow,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert allow["Action"] == ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]
    assert allow["Resource"]["Fn::GetAtt"][0].startswith("FlowLogs")


def test_default_security_group_is_stripped(stage):
    assert len(resources(stage, "Custom::VpcRestrictDefaultSG")) == 1


def test_without_nat_the_subnets_are_isolated_and_reach_aws_through_endpoints(isolated):
    assert isolated.validation_error is None, isolated.validation_error
    assert not resources(isolated, "AWS::EC2::NatGateway") and not resources(isolated, "AWS::EC2::InternetGateway")
    cluster = subnets(isolated, "cluster")
    assert len(cluster) == 2 and len(resources(isolated, "AWS::EC2::Subnet")) == 2
    assert all({"Key": "aws-cdk:subnet-type", "Value": "Isolated"} in s["Properties"]["Tags"] for s in cluster.values())
    assert not resources(isolated, "AWS::EC2::Route"), "no route out of an isolated subnet"
    endpoints = [e["Properties"] for e in resources(isolated, "AWS::EC2::VPCEndpoint").values()]
    interface = [e for e in endpoints if e.get("VpcEndpointType") == "Interface"]
    services = sorted(json.dumps(e["ServiceName"]).split(".")[-1].rstrip('"]}') for e in interface)
    assert services == sorted(ISOLATED["interface_endpoints"])
    assert all(e["PrivateDnsEnabled"] is True for e in interface)
    # The cluster (a transient one in dev: its definition) still lands in exactly these subnets.
    emr = isolated.stacks["emr"]
    assert json.dumps(emr.resolve(emr.cluster.request)["Instances"]["Ec2SubnetIds"]).count("clusterSubnet") == 2


def test_an_existing_vpc_takes_the_route_tables_of_its_subnets():
    import aws_cdk as cdk

    from lake_config.emr_settings import NetworkSettings
    from stacks.network_stack import existing_vpc

    network = NetworkSettings(
        vpc_id="vpc-0a1b2c3d4e5f60718",
        availability_zones=["eu-west-1a", "eu-west-1b"],
        private_subnet_ids=["subnet-0a1b2c3d4e5f60718", "subnet-0f1e2d3c4b5a69788"],
        private_route_table_ids=["rtb-0a1b2c3d4e5f60718", "rtb-0f1e2d3c4b5a69788"],
    )
    stack = cdk.Stack(cdk.App(), "Existing")
    vpc = existing_vpc(stack, network)
    assert [s.route_table.route_table_id for s in vpc.private_subnets] == network.private_route_table_ids
    warnings = [m for s in vpc.private_subnets for m in s.node.metadata if m.type == "aws:cdk:warning"]
    assert warnings == [], "route table ids given: nothing to warn about or acknowledge"
