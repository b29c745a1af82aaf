"""The engine and Workspace security groups EMR Studio requires, with nothing more open."""
from aws_cdk import Tags
from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from lake_constructs.processing.emr_security_groups import EMR_MANAGED_TAG

# Workspaces reach the attached cluster's Jupyter Enterprise Gateway here (EMR Management
# Guide, "Define security groups to control EMR Studio network traffic").
ENGINE_PORT = 18888
HTTPS = 443


class StudioSecurityGroups(Construct):
    """Engine group (on the attached cluster's primary node) and Workspace group.

    Secures: the engine group accepts only 18888 from the Workspace group and sends nothing;
    the Workspace group accepts nothing (EMR Studio requires that) and sends only 18888 to the
    engine group, plus HTTPS to the internet when `git_repositories` (public Git hosts, through
    the NAT). Both carry the tag the Studio service role's tag conditions require.
    """

    def __init__(self, scope: Construct, id: str, *, vpc: ec2.IVpc, name_prefix: str, git_repositories: bool) -> None:
        super().__init__(scope, id)

        def group(id: str, role: str) -> ec2.SecurityGroup:
            # allow_all_outbound=False: CDK writes a placeholder egress rule, so the group does not
            # get EC2's default allow-all egress.
            security_group = ec2.SecurityGroup(self, id, vpc=vpc, description=f"{name_prefix} EMR Studio {role}", allow_all_outbound=False)
            Tags.of(security_group).add(*EMR_MANAGED_TAG)
            return security_group

        self.engine = group("Engine", "engine (attached cluster)")
        self.workspace = group("Workspace", "Workspaces")
        self.engine.add_ingress_rule(self.workspace, ec2.Port.tcp(ENGINE_PORT), "EMR Studio Workspaces to the cluster")
        # The Workspace egress rules stay inline: CDK writes a rule to another group as a separate
        # resource and then drops the placeholder, and a group with no inline egress gets EC2's
        # default allow-all. Inline here and the engine's ingress separate: no reference cycle.
        egress = [
            ec2.CfnSecurityGroup.EgressProperty(
                ip_protocol="tcp",
                from_port=ENGINE_PORT,
                to_port=ENGINE_PORT,
                destination_security_group_id=self.engine.security_group_id,
                description="EMR Studio Workspaces to the cluster",
            )
        ]
        if git_repositories:
            egress.append(
                ec2.CfnSecurityGroup.EgressProperty(
                    ip_protocol="tcp", from_port=HTTPS, to_port=HTTPS, cidr_ip="0.0.0.0/0", description="Public Git repositories linked to Workspaces"
                )
            )
        self.workspace.node.default_child.security_group_egress = egress
