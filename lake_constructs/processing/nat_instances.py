"""NAT instances instead of NAT gateways: the cheap way out of the private subnets, for dev."""
import re

from aws_cdk import Acknowledgment, Validations
from aws_cdk import aws_ec2 as ec2

from compliance.finding_ids import framework_rule_ids
from lake_config.emr_settings import NetworkSettings, is_graviton

ROOT_VOLUME_GIB = 8
# CDK's default user data installs iptables-services once; on Amazon Linux 2023 a dnf cache race
# during cloud-init fails it now and then and the instance forwards nothing (aws/aws-cdk issue
# 36717): the same commands, with the install retried a bounded number of times.
INSTALL = "yum install iptables-services -y"
INSTALL_ATTEMPTS = 10
RETRIED_INSTALL = (
    f"for attempt in $(seq 1 {INSTALL_ATTEMPTS}); do {INSTALL} && break; "
    'echo "iptables-services install failed (attempt $attempt), retrying"; sleep 10; done'
)


def nat_user_data() -> ec2.UserData:
    """CDK's NatInstanceProviderV2 default commands, its one install command retried."""
    user_data = ec2.UserData.for_linux()
    user_data.add_commands(
        *(RETRIED_INSTALL if command == INSTALL else command for command in ec2.NatInstanceProviderV2.DEFAULT_USER_DATA_COMMANDS)
    )
    return user_data


def nat_instance_provider(network: NetworkSettings) -> ec2.NatInstanceProviderV2:
    """One NAT instance per `network.nat_gateways`, Amazon Linux 2023 of the type's architecture.

    Trade-off against a NAT gateway (README, "What it costs"): about $7 a month instead of $37
    for a t4g.nano with its public IPv4 address, but a single instance: no automatic failover, a
    burstable network share (up to 5 Gbit/s for a nano), and patching means replacing it (a
    redeploy after the AMI parameter moves), during which the private subnets have no egress.
    Fine for a development stage whose cluster runs minutes a day; prod keeps gateways. Its
    first boot retries the iptables-services install (see `nat_user_data`).
    """
    cpu = ec2.AmazonLinuxCpuType.ARM_64 if _graviton(network.nat_instance_type) else ec2.AmazonLinuxCpuType.X86_64
    return ec2.NatProvider.instance_v2(
        instance_type=ec2.InstanceType(network.nat_instance_type),
        machine_image=ec2.MachineImage.latest_amazon_linux2023(cpu_type=cpu),
        # Inbound only from the VPC; the NAT subnet maps no public IPs, so ask for one here.
        default_allowed_traffic=ec2.NatTrafficDirection.OUTBOUND_ONLY,
        associate_public_ip_address=True,
        user_data=nat_user_data(),
    )


def _graviton(instance_type: str) -> bool:
    # t4g.nano has no digit-g family like m7g but the same rule applies: a g after the generation.
    return is_graviton(instance_type) or re.match(r"^[a-z]+\d+g", instance_type.split(".")[0]) is not None


def secure_nat_instances(provider: ec2.NatInstanceProviderV2, vpc_cidr: str) -> None:
    """Traffic in from the VPC only, encrypted root volume and IMDSv2 on each instance; acknowledges
    what a NAT instance is."""
    # OUTBOUND_ONLY admits nothing: the private subnets' traffic must be let in explicitly. HTTPS
    # is all they send out (AWS APIs, the CloudFormation response URL; S3 uses the gateway
    # endpoint), so nothing else is translated.
    provider.connections.allow_from(ec2.Peer.ipv4(vpc_cidr), ec2.Port.tcp(443), "HTTPS from the VPC, to translate")
    for instance in provider.gateway_instances:
        cfn: ec2.CfnInstance = instance.node.default_child
        cfn.block_device_mappings = [
            ec2.CfnInstance.BlockDeviceMappingProperty(
                device_name="/dev/xvda",
                ebs=ec2.CfnInstance.EbsProperty(
                    encrypted=True, volume_type="gp3", volume_size=ROOT_VOLUME_GIB, delete_on_termination=True
                ),
            )
        ]
        # IMDSv2 only, one hop: nothing on the instance needs its role's credentials through a proxy.
        cfn.metadata_options = ec2.CfnInstance.MetadataOptionsProperty(http_tokens="required", http_put_response_hop_limit=1)
        Validations.of(instance).acknowledge(
            *(
                Acknowledgment(
                    id=rule,
                    reason="NAT instance: it is in the VPC, attached through its network interface in the NAT subnet "
                    "(NetworkInterfaces[0].SubnetId, needed to give it a public IP); the rule reads only a top-level SubnetId.",
                )
                for rule in framework_rule_ids("EC2InstancesInVPC")
            ),
            *(
                Acknowledgment(
                    id=rule,
                    reason="NAT instance: it translates the private subnets' outbound traffic, so it must have a public "
                    "IPv4 address in the NAT subnet; its security group admits traffic from the VPC only.",
                )
                for rule in framework_rule_ids("EC2InstanceNoPublicIp")
            ),
            Acknowledgment(
                id="AwsSolutions-EC28",
                reason="NAT instance of a development stage: detailed monitoring would cost about a third of the "
                "instance; the basic 5-minute metrics and the VPC flow logs show its traffic.",
            ),
            *(
                Acknowledgment(
                    id=rule,
                    reason="NAT instance of a development stage: detailed monitoring would cost about a third of the "
                    "instance; the basic 5-minute metrics and the VPC flow logs show its traffic.",
                )
                for rule in framework_rule_ids("EC2InstanceDetailedMonitoringEnabled")
            ),
            Acknowledgment(
                id="AwsSolutions-EC29",
                reason="NAT instance: it holds no data and is replaced, not repaired; termination protection would "
                "only block the stack update that replaces it with a patched image.",
            ),
        )
