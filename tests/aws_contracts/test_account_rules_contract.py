"""Rules EC2, Lambda and Glue apply when the stacks are created in a fresh account, read from the
synthesized templates of every stage."""
import json

# Lambda keeps this many executions of the account's concurrency unreserved, and a new account's
# quota can be as low as this (Lambda Developer Guide, "Lambda quotas"; "Reserved concurrency").
UNRESERVED_MINIMUM = 100
NEW_ACCOUNT_CONCURRENCY = 10
ALLOW_ALL = {"CidrIp": "0.0.0.0/0", "IpProtocol": "-1"}


def every_resource(synth, type_: str):
    for name in synth.stacks:
        for logical_id, resource in synth.template_json(name)["Resources"].items():
            if resource["Type"] == type_:
                yield name, logical_id, resource.get("Properties", {})


def test_no_function_reserves_concurrency_a_new_account_cannot_give(stage):
    reservable = max(0, NEW_ACCOUNT_CONCURRENCY - UNRESERVED_MINIMUM)
    reserved = {f"{stack}/{id}": props.get("ReservedConcurrentExecutions", 0) for stack, id, props in every_resource(stage, "AWS::Lambda::Function")}
    assert reserved and sum(reserved.values()) <= reservable, reserved


def effective_egress(template: dict, group_id: str) -> list[dict]:
    """What EC2 enforces: the inline rules, or allow-all when there are none, plus separate rules."""
    inline = template["Resources"][group_id]["Properties"].get("SecurityGroupEgress") or [ALLOW_ALL]
    separate = [
        r["Properties"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::EC2::SecurityGroupEgress" and r["Properties"]["GroupId"] == {"Fn::GetAtt": [group_id, "GroupId"]}
    ]
    return inline + separate


def is_allow_all(rule: dict) -> bool:
    return rule.get("IpProtocol") == "-1" and rule.get("CidrIp") == "0.0.0.0/0"


def test_only_the_node_groups_allow_all_egress(stage):
    """Nodes call AWS APIs through the NAT or endpoints; nothing else may send anywhere."""
    open_groups = set()
    for stack, group_id, props in every_resource(stage, "AWS::EC2::SecurityGroup"):
        if any(is_allow_all(rule) for rule in effective_egress(stage.template_json(stack), group_id)):
            open_groups.add(f"{stack}/{group_id}")
    node_groups = {
        f"{stack}/{stage.emr_cluster_properties(stack)['Instances'][role]['Fn::GetAtt'][0]}"
        for stack in ("emr", "interactive")
        if stack in stage.stacks
        for role in ("EmrManagedMasterSecurityGroup", "EmrManagedSlaveSecurityGroup")
    }
    # A NAT instance (network.nat_provider instance) forwards the nodes' traffic: it must send anywhere.
    nat_groups = {
        f"network/{group['Fn::GetAtt'][0]}"
        for _, _, props in every_resource(stage, "AWS::EC2::Instance")
        for group in [*props.get("SecurityGroupIds", []), *(g for i in props.get("NetworkInterfaces", []) for g in i.get("GroupSet", []))]
    }
    # Every cluster's EMR-managed primary and core/task groups (and NAT instances), nothing else.
    assert node_groups and open_groups == node_groups | nat_groups


def test_the_service_access_group_sends_only_8443_to_the_nodes(stage):
    template = stage.template_json("emr")
    (group_id,) = [k for k, r in template["Resources"].items() if k.startswith("SecurityGroupsServiceAccess") and r["Type"] == "AWS::EC2::SecurityGroup"]
    rules = [r for r in effective_egress(template, group_id) if r.get("CidrIp") != "255.255.255.255/32"]
    assert sorted((r["IpProtocol"], r["FromPort"], r["ToPort"]) for r in rules) == [("tcp", 8443, 8443)] * 2
    assert all("DestinationSecurityGroupId" in r for r in rules)


def test_crawlers_create_no_partition_indexes(stage):
    """Glue creates partition indexes unless told not to, and an encrypted catalog does not support them."""
    crawlers = list(every_resource(stage, "AWS::Glue::Crawler"))
    assert crawlers
    for _, logical_id, props in crawlers:
        assert json.loads(props["Configuration"]).get("CreatePartitionIndex", True) is False, logical_id
