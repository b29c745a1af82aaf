"""The processing network: a private VPC for the EMR cluster, or an existing VPC by its ids."""
import ipaddress

from aws_cdk import Acknowledgment, Fn, RemovalPolicy, Stack, Tags, Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from compliance.finding_ids import framework_rule_ids
from lake_config import LakeSettings
from lake_config.emr_settings import NetworkSettings
from lake_constructs.processing.emr_security_groups import EMR_MANAGED_TAG
from lake_constructs.processing.nat_instances import nat_instance_provider, secure_nat_instances
from lake_constructs.shared.arns import regional_arn
from lake_constructs.shared.service_principals import account_scoped_service
from stacks.storage_stack import StorageStack

# The subnet group the cluster (and the certificate function) runs in, in both kinds of VPC.
CLUSTER_SUBNETS = "cluster"
NAT_SUBNETS = "nat"
ROUTE_TO_IGW_RULES = framework_rule_ids("VPCNoUnrestrictedRouteToIGW")
RETENTION = {
    1: logs.RetentionDays.ONE_DAY, 3: logs.RetentionDays.THREE_DAYS, 5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK, 14: logs.RetentionDays.TWO_WEEKS, 30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS, 90: logs.RetentionDays.THREE_MONTHS, 120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS, 180: logs.RetentionDays.SIX_MONTHS, 365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS, 545: logs.RetentionDays.EIGHTEEN_MONTHS, 731: logs.RetentionDays.TWO_YEARS,
    1096: logs.RetentionDays.THREE_YEARS, 1827: logs.RetentionDays.FIVE_YEARS, 2192: logs.RetentionDays.SIX_YEARS,
    2557: logs.RetentionDays.SEVEN_YEARS, 2922: logs.RetentionDays.EIGHT_YEARS, 3288: logs.RetentionDays.NINE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}


def existing_vpc(scope: Construct, network: NetworkSettings) -> ec2.IVpc:
    """The configured VPC, imported from its ids: no lookup, so synth needs no credentials.

    Its subnets must already carry the tag AmazonEMRServicePolicy_v2 requires
    (for-use-with-amazon-emr-managed-policies=true): CloudFormation cannot tag imported subnets.
    Their route tables are optional (`network.private_route_table_ids`): nothing here adds a
    route or a gateway endpoint to a VPC it does not own.
    """
    vpc = ec2.Vpc.from_vpc_attributes(
        scope,
        "ExistingVpc",
        vpc_id=network.vpc_id,
        availability_zones=network.availability_zones,
        private_subnet_ids=network.private_subnet_ids,
        private_subnet_names=[CLUSTER_SUBNETS],
        private_subnet_route_table_ids=network.private_route_table_ids or None,
    )
    if not network.private_route_table_ids:
        for subnet in vpc.private_subnets:
            Validations.of(subnet).acknowledge(
                Acknowledgment(
                    id="Annotation::@aws-cdk/aws-ec2:noSubnetRouteTableId",
                    reason="Existing VPC without network.private_route_table_ids: no construct of this project reads "
                    "the subnet's route table (it adds no route or gateway endpoint to a VPC it does not own).",
                )
            )
    return vpc


def cluster_subnets() -> ec2.SubnetSelection:
    return ec2.SubnetSelection(subnet_group_name=CLUSTER_SUBNETS)


class NetworkStack(Stack):
    """A VPC whose only workload subnets are private, in two AZs.

    Secures: nodes get no public IP and no inbound route from the internet (private subnets;
    the public subnets hold only NAT gateways and map no public IPs); S3 traffic stays on the
    AWS network through a gateway endpoint (which also keeps it off the NAT's per-GB bill);
    all traffic is recorded by VPC flow logs into a log group encrypted with the lake key;
    the default security group is stripped of its rules. With `nat_provider: instance` the NAT is
    a small instance per `nat_gateways` instead of a managed gateway (see nat_instances.py). With `nat_gateways: 0` the private
    subnets have no route out at all and reach AWS APIs through the listed interface endpoints.
    """

    def __init__(self, scope: Construct, id: str, *, settings: LakeSettings, storage: StorageStack, **kwargs) -> None:
        super().__init__(scope, id, **kwargs)
        self.add_stack_dependency(storage)
        network = settings.network
        prefix_length = ipaddress.IPv4Network(network.vpc_cidr).prefixlen
        with_nat = network.nat_gateways > 0
        subnets = [
            ec2.SubnetConfiguration(
                name=CLUSTER_SUBNETS,
                subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS if with_nat else ec2.SubnetType.PRIVATE_ISOLATED,
                cidr_mask=prefix_length + 2,
            )
        ]
        if with_nat:
            subnets.append(
                ec2.SubnetConfiguration(
                    name=NAT_SUBNETS, subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=prefix_length + 4, map_public_ip_on_launch=False
                )
            )
        nat_instances = nat_instance_provider(network) if with_nat and network.nat_provider == "instance" else None
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(network.vpc_cidr),
            max_azs=2,
            nat_gateways=network.nat_gateways,
            nat_gateway_provider=nat_instances,
            subnet_configuration=subnets,
            gateway_endpoints={"S3": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.S3)},
        )
        if nat_instances:
            secure_nat_instances(nat_instances, network.vpc_cidr)
        for subnet in self.vpc.select_subnets(subnet_group_name=CLUSTER_SUBNETS).subnets:
            Tags.of(subnet).add(*EMR_MANAGED_TAG)
        for subnet in self.vpc.public_subnets:
            Validations.of(subnet).acknowledge(
                *(
                    Acknowledgment(
                        id=rule,
                        reason="NAT subnet: its default route to the internet gateway is what lets the NAT gateway "
                        "serve the private subnets; nothing else runs here and no public IPs are mapped.",
                    )
                    for rule in ROUTE_TO_IGW_RULES
                )
            )
        if network.interface_endpoints:
            self._interface_endpoints(network)
        self._flow_logs(settings, storage)

    @property
    def availability_zones(self) -> list[str]:
        """The region's first two AZs, resolved by CloudFormation (Fn::GetAZs) at deploy time.

        Overridden so that no stage, not even one pinned to an account and region, needs an
        AZ lookup (and so credentials) at synth.
        """
        return [Fn.select(index, Fn.get_azs()) for index in range(2)]

    def _interface_endpoints(self, network: NetworkSettings) -> None:
        # One group for all endpoints, opened to the VPC's literal range: HTTPS from inside only.
        endpoints = ec2.SecurityGroup(
            self, "InterfaceEndpoints", vpc=self.vpc, description="Interface endpoints: HTTPS from the VPC", allow_all_outbound=False
        )
        endpoints.add_ingress_rule(ec2.Peer.ipv4(network.vpc_cidr), ec2.Port.tcp(443), "HTTPS from the VPC")
        for service in network.interface_endpoints:
            self.vpc.add_interface_endpoint(
                service,
                service=ec2.InterfaceVpcEndpointAwsService(service),
                subnets=cluster_subnets(),
                security_groups=[endpoints],
                open=False,
            )

    def _flow_logs(self, settings: LakeSettings, storage: StorageStack) -> None:
        log_group = logs.LogGroup(
            self,
            "FlowLogs",
            encryption_key=storage.key,
            retention=RETENTION[settings.network.flow_logs_retention_days],
            removal_policy=RemovalPolicy.RETAIN if settings.retain_data else RemovalPolicy.DESTROY,
        )
        role = iam.Role(
            self,
            "FlowLogsRole",
            assumed_by=account_scoped_service(
                "vpc-flow-logs.amazonaws.com", regional_arn("ec2", "vpc-flow-log/*")
            ),
            description="Delivers this VPC's flow logs to its log group.",
        )
        # A customer-managed policy: FlowLogDestination would write an inline one.
        policy = iam.ManagedPolicy(
            self,
            "FlowLogsPolicy",
            roles=[role],
            statements=[
                iam.PolicyStatement(
                    actions=["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    # The log group's ARN attribute ends in ":*", which covers its streams.
                    resources=[log_group.log_group_arn],
                )
            ],
        )
        flow_log = ec2.CfnFlowLog(
            self,
            "FlowLog",
            resource_id=self.vpc.vpc_id,
            resource_type="VPC",
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_group_name=log_group.log_group_name,
            deliver_logs_permission_arn=role.role_arn,
        )
        flow_log.node.add_dependency(policy)
