"""The three EMR-managed security groups of a cluster in private subnets."""
from aws_cdk import Tags
from aws_cdk import aws_ec2 as ec2
from constructs import Construct

# AmazonEMRServicePolicy_v2 only touches subnets and security groups carrying this tag.
EMR_MANAGED_TAG = ("for-use-with-amazon-emr-managed-policies", "true")
# The cluster manager reaches the nodes on 8443; the primary answers the service on 9443 (EMR 5.30+).
CLUSTER_MANAGER_PORT = 8443
SERVICE_ACCESS_PORT = 9443
INTRA_CLUSTER_PORTS = (ec2.Port.all_icmp(), ec2.Port.all_tcp(), ec2.Port.all_udp())
# EC2 gives a group created without inline egress rules an allow-all egress rule, and separate
# AWS::EC2::SecurityGroupEgress resources do not remove it. An inline rule that matches no packet
# (no host has 255.255.255.255, and ICMP type 252 code 86 does not exist) removes it; it is the
# rule CDK itself uses for `allow_all_outbound=False` when a group has no other egress.
MATCH_NOTHING = (ec2.Peer.ipv4("255.255.255.255/32"), ec2.Port.icmp_type_and_code(252, 86))


class EmrSecurityGroups(Construct):
    """Primary, core/task and service-access groups, dedicated to one cluster.

    Secures: nothing outside the cluster can reach a node (no CIDR ingress at all; the only
    sources are the cluster's own groups and EMR's service-access ENIs); clusters sharing the
    VPC cannot talk to this one (dedicated groups, not EMR's shared defaults); the
    service-access group sends only 8443 to the nodes (an inline rule that matches nothing keeps
    EC2's default allow-all egress off it) and accepts only 9443 from the primary.

    Every inbound rule EMR would add to custom managed groups is declared here, so EMR adds
    none: rules EMR adds outside CloudFormation reference the groups crosswise and would
    block deleting the stack.
    """

    def __init__(self, scope: Construct, id: str, *, vpc: ec2.IVpc, name_prefix: str) -> None:
        super().__init__(scope, id)

        def group(id: str, role: str, allow_all_outbound: bool) -> ec2.SecurityGroup:
            security_group = ec2.SecurityGroup(
                self,
                id,
                vpc=vpc,
                description=f"{name_prefix} EMR {role}",
                allow_all_outbound=allow_all_outbound,
            )
            Tags.of(security_group).add(*EMR_MANAGED_TAG)
            return security_group

        # Nodes call AWS APIs (S3, Glue, KMS, SSM) through the NAT or endpoints: all outbound.
        self.primary = group("Primary", "primary node (managed)", True)
        self.core = group("CoreAndTask", "core and task nodes (managed)", True)
        self.service_access = group("ServiceAccess", "service access for private subnets (managed)", False)

        for target in (self.primary, self.core):
            for source in (self.primary, self.core):
                for port in INTRA_CLUSTER_PORTS:
                    target.add_ingress_rule(source, port, f"EMR intra-cluster traffic, {port.to_string()}")
            target.add_ingress_rule(self.service_access, ec2.Port.tcp(CLUSTER_MANAGER_PORT), "EMR cluster manager")
            self.service_access.add_egress_rule(target, ec2.Port.tcp(CLUSTER_MANAGER_PORT), "EMR cluster manager")
        self.service_access.add_ingress_rule(self.primary, ec2.Port.tcp(SERVICE_ACCESS_PORT), "Primary node to EMR service")
        # The 8443 rules above are separate resources (their peers are groups), so they do not
        # replace EC2's allow-all default: this inline rule does.
        self.service_access.add_egress_rule(*MATCH_NOTHING, "Disallow all other traffic")
        self.rules = [
            child for child in self.node.find_all() if isinstance(child, (ec2.CfnSecurityGroupIngress, ec2.CfnSecurityGroupEgress))
        ]
