"""Settings of the processing network and the EMR on EC2 cluster (reference: docs/emr.md)."""
import ipaddress
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from lake_config.base import NO_DUPLICATES, Section

# CloudWatch Logs accepts only these retention periods.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)

def _log_retention(value: int) -> int:
    if value not in LOG_RETENTION_DAYS:
        raise ValueError(f"must be a CloudWatch Logs retention period: {', '.join(map(str, LOG_RETENTION_DAYS))}")
    return value


LogRetentionDays = Annotated[int, AfterValidator(_log_retention)]
SubnetId = Annotated[str, Field(pattern=r"^subnet-[0-9a-f]{8,17}$")]
RouteTableId = Annotated[str, Field(pattern=r"^rtb-[0-9a-f]{8,17}$")]
AvailabilityZone = Annotated[str, Field(pattern=r"^[a-z]{2}(-[a-z]+)+-\d[a-z]$")]


def _instance_type(value: str) -> str:
    # Sizes from xlarge up: a capacity unit is 4 vCPUs (one xlarge), so weights stay whole numbers.
    if not re.fullmatch(r"[a-z][a-z0-9-]*\.\d*xlarge", value):
        raise ValueError("must be an EC2 instance type of size xlarge or larger, e.g. 'm7g.xlarge' or 'r7g.2xlarge'")
    return value


InstanceType = Annotated[str, AfterValidator(_instance_type)]
SecretArn = Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$")]
# A KDC host name or address, optionally with a port.
KdcHost = Annotated[str, Field(pattern=r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:\d{1,5})?$")]
# What EMR's Launch an Amazon EMR Cluster with multiple primary nodes page allows: one or three.
PRIMARY_NODE_COUNTS = (1, 3)
HA_GUIDE = "EMR Management Guide, 'Launch an Amazon EMR Cluster with multiple primary nodes'"


def _endpoint_service(value: str) -> str:
    # ec2.InterfaceVpcEndpointAwsService(name) builds com.amazonaws.<region>.<name> itself.
    if value.startswith(("com.amazonaws.", "aws.")):
        raise ValueError(f"is the short service name (e.g. 'glue'), without 'com.amazonaws.<region>.': the region is added per stack")
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)*", value):
        raise ValueError("must be a short interface endpoint service name such as 'glue', 'kms' or 'ecr.api'")
    return value


EndpointService = Annotated[str, AfterValidator(_endpoint_service)]
IDLE_TIMEOUT_OFF = 0


def capacity_units(instance_type: str) -> int:
    """Managed-scaling units of one instance: its vCPUs / 4 (xlarge = 1, 2xlarge = 2, ...)."""
    return int(instance_type.split(".")[1].removesuffix("xlarge") or 1)


def is_graviton(instance_type: str) -> bool:
    """Graviton families carry a `g` right after the generation digit (m7g, c7gn, r6gd, g5g)."""
    return re.match(r"^[a-z]+\d+g", instance_type) is not None


def _architecture(instance_type: str) -> str:
    return "Graviton (arm64)" if is_graviton(instance_type) else "x86_64"


class NetworkSettings(Section):
    """The VPC of the processing layer: created by the network stack, or an existing one (`vpc_id`)."""

    # Created VPC: two AZs, a private "cluster" subnet in each (a quarter of the range) and,
    # with NAT, a small public subnet per AZ that holds only the NAT gateways.
    vpc_cidr: str = Field(
        "10.40.0.0/16",
        description="IPv4 range (/16 to /24) of the created VPC; cluster subnets are /prefix+2, NAT subnets /prefix+4.",
    )
    # A NAT gateway costs about $0.045 per hour plus $0.045 per GB it processes (us-east-1).
    # One is the cheap default; two survive an AZ outage. 0 means no internet egress at all.
    nat_gateways: Annotated[int, Field(ge=0, le=2)] = Field(
        1,
        description="NAT gateways or instances, one per AZ up to 2; 0: isolated subnets, which need interface_endpoints.",
    )
    # gateway: managed NAT gateways (highly available in their AZ, ~$37 a month each at rest with
    # the public IPv4 address). instance: a NAT instance per nat_gateways (~$7 a month for a
    # t4g.nano with its address), patched by replacing it, down while it is replaced.
    nat_provider: Literal["gateway", "instance"] = Field(
        "gateway",
        description="gateway: managed NAT gateways, highly available in their AZ; instance: NAT instances, far cheaper, replaced rather than patched (docs/cost.md compares them).",
    )
    nat_instance_type: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")] = Field(
        "t4g.nano",
        description="The NAT instances' EC2 type (Amazon Linux 2023 of its architecture); only with nat_provider: instance.",
    )
    # Interface endpoints (service names as in com.amazonaws.<region>.<name>), about
    # $0.01 per hour per AZ each. Required when nat_gateways is 0.
    interface_endpoints: Annotated[list[EndpointService], NO_DUPLICATES] = Field(
        [],
        description="Interface endpoints in the cluster subnets, as short service names (glue, kms, ecr.api; not com.amazonaws.<region>.glue), each billed per hour per AZ; required with 0 NAT gateways.",
    )
    flow_logs_retention_days: LogRetentionDays = Field(
        90,
        description="How long VPC flow logs are kept: a CloudWatch Logs retention period (1, 3, 5, 7, 14, 30, 60, 90, ..., 3653).",
    )
    # An existing VPC instead (no network stack): its private subnets, one per AZ, in the
    # order of `availability_zones`. Imported without lookups, so synth needs no credentials.
    vpc_id: Annotated[str | None, Field(pattern=r"^vpc-[0-9a-f]{8,17}$")] = Field(
        None,
        description="Use this existing VPC (vpc-...): no network stack is created; needs availability_zones and private_subnet_ids, refuses the settings of a created VPC.",
    )
    availability_zones: Annotated[list[AvailabilityZone], NO_DUPLICATES] = Field(
        [],
        description="With vpc_id: the AZ of each subnet of private_subnet_ids, same order.",
    )
    private_subnet_ids: Annotated[list[SubnetId], NO_DUPLICATES] = Field(
        [],
        description="With vpc_id: where the cluster runs, at least two AZs; tag them for-use-with-amazon-emr-managed-policies=true yourself.",
    )
    # The route table of each subnet, same order; optional (nothing here adds routes to your VPC).
    private_route_table_ids: list[RouteTableId] = Field(
        [],
        description="With vpc_id: the route table of each subnet, same order; optional (nothing adds routes to a VPC it does not own).",
    )

    @field_validator("vpc_cidr")
    @classmethod
    def _cidr(cls, value: str) -> str:
        try:
            network = ipaddress.IPv4Network(value)
        except ValueError:
            raise ValueError("must be an IPv4 network in CIDR notation, e.g. '10.40.0.0/16'") from None
        if not 16 <= network.prefixlen <= 24:
            raise ValueError("must be a /16 to /24 network (the subnets are /prefix+2 and /prefix+4)")
        return value

    @model_validator(mode="after")
    def _one_network(self):
        created_only = {"vpc_cidr", "nat_gateways", "nat_provider", "nat_instance_type", "interface_endpoints", "flow_logs_retention_days"}
        if self.vpc_id:
            if conflicting := sorted(created_only & self.model_fields_set):
                raise ValueError(
                    f"network.{conflicting[0]} configures the VPC this project creates; remove it, "
                    "or remove network.vpc_id to create one"
                )
            if len(self.private_subnet_ids) < 2 or len(self.availability_zones) != len(self.private_subnet_ids):
                raise ValueError(
                    "network.vpc_id needs network.private_subnet_ids in at least two AZs and "
                    "network.availability_zones naming the AZ of each subnet, in the same order"
                )
            if self.private_route_table_ids and len(self.private_route_table_ids) != len(self.private_subnet_ids):
                raise ValueError("network.private_route_table_ids needs one route table per subnet of network.private_subnet_ids, in the same order")
        elif self.availability_zones or self.private_subnet_ids or self.private_route_table_ids:
            raise ValueError(
                "network.availability_zones, network.private_subnet_ids and network.private_route_table_ids need network.vpc_id"
            )
        elif "nat_instance_type" in self.model_fields_set and self.nat_provider != "instance":
            raise ValueError("network.nat_instance_type applies to network.nat_provider instance only")
        elif self.nat_gateways == 0 and not self.interface_endpoints:
            raise ValueError(
                "network.nat_gateways is 0, so the private subnets reach no AWS API: list "
                "network.interface_endpoints (e.g. glue, kms, sts, ssm, ssmmessages, ec2messages, elasticmapreduce)"
            )
        return self


class KerberosSettings(Section):
    """Who issues the cluster's Kerberos tickets: its own KDC on the primary node, or yours."""

    # cluster_dedicated: EMR runs a KDC on the primary node, admin password generated by Secrets
    # Manager. external: a KDC you run (required for three primary nodes).
    provider: Literal["cluster_dedicated", "external"] = Field(
        "cluster_dedicated",
        description="cluster_dedicated: EMR runs a KDC on the primary node, its admin password generated in Secrets Manager; external: your KDC (required for three primary nodes).",
    )
    realm: Annotated[str, Field(pattern=r"^[A-Z0-9][A-Z0-9.-]{0,254}$")] = Field(
        "EC2.INTERNAL",
        description="The Kerberos realm (upper case).",
    )
    kdc_server: KdcHost | None = Field(None, description="external only: the KDC's host, optionally with a port.")
    admin_server: KdcHost | None = Field(None, description="external only: the KDC admin server's host, optionally with a port.")
    # The external KDC's admin password, in a secret you own (EMR reads it at cluster creation).
    admin_password_secret_arn: SecretArn | None = Field(
        None,
        description="external only: the Secrets Manager secret (plain text) holding the KDC admin password; EMR reads it when it creates the cluster.",
    )

    @model_validator(mode="after")
    def _provider_fields(self):
        external = ("kdc_server", "admin_server", "admin_password_secret_arn")
        if self.provider == "external":
            if missing := [name for name in external if getattr(self, name) is None]:
                raise ValueError(f"emr.kerberos.provider external needs emr.kerberos.{missing[0]} (and {', '.join(external)})")
        elif given := [name for name in external if getattr(self, name) is not None]:
            raise ValueError(f"emr.kerberos.{given[0]} configures an external KDC: set emr.kerberos.provider external, or remove it")
        return self


class EmrSettings(Section):
    """The EMR on EC2 cluster: fleets, spot, scaling, termination and TLS material."""

    # On by default: the cluster is how the lake gets curated, and the idle timeout bounds its cost.
    enabled: bool = Field(
        True,
        description="Create the network, EMR and pipeline stacks (curation is part of the product; the idle timeout bounds its cost).",
    )
    release_label: str = Field("emr-7.13.0", description="EMR release, emr-X.Y.Z, 7.x or later (Spark 3.5, Hadoop, Hive).")
    # Defaults are Graviton types EMR offers in every region (the template is region-agnostic and
    # cfn-lint checks them everywhere); m7g is cheaper per unit of work where it exists.
    # On-demand primary and core fleets: EMR launches the lowest-priced type it can get.
    primary_instance_types: Annotated[list[InstanceType], Field(min_length=1, max_length=5), NO_DUPLICATES] = Field(
        ["m6g.xlarge", "r6g.xlarge"],
        description="On-demand primary fleet: 1-5 distinct types of size xlarge or larger; EMR launches the lowest-priced it can get.",
    )
    core_instance_types: Annotated[list[InstanceType], Field(min_length=1, max_length=5), NO_DUPLICATES] = Field(
        ["m6g.xlarge", "r6g.xlarge"],
        description="On-demand core fleet (HDFS): 1-5 distinct types, xlarge or larger.",
    )
    core_capacity_units: Annotated[int, Field(ge=1, le=256)] = Field(
        2,
        description="Fixed core capacity in units of 4 vCPUs (an xlarge is 1, a 2xlarge 2); managed scaling never changes it.",
    )
    # Spot task fleet: many types and pools make spot capacity likelier (price-capacity-optimized).
    task_instance_types: Annotated[list[InstanceType], Field(min_length=1, max_length=15), NO_DUPLICATES] = Field(
        ["m6g.xlarge", "r6g.xlarge", "r7g.xlarge", "m6g.2xlarge", "r6g.2xlarge", "r7g.2xlarge", "c6g.2xlarge"],
        description="Spot task fleet, price-capacity-optimized: 1-15 distinct types, one CPU architecture across all fleets.",
    )
    task_spot_capacity_units: Annotated[int, Field(ge=1, le=1000)] = Field(
        1,
        description="Spot task units at launch; managed scaling takes over after.",
    )
    spot_timeout_minutes: Annotated[int, Field(ge=5, le=1440)] = Field(
        10,
        description="How long EMR waits for spot capacity at launch and when scaling.",
    )
    # At launch, if spot is short after `spot_timeout_minutes`: take on-demand instead, or fail.
    spot_timeout_action: Literal["SWITCH_TO_ON_DEMAND", "TERMINATE_CLUSTER"] = Field(
        "SWITCH_TO_ON_DEMAND",
        description="At launch, when spot is short after spot_timeout_minutes: start on-demand task nodes, or fail the launch.",
    )
    # Managed scaling counts core and task units (never the primary).
    max_capacity_units: Annotated[int, Field(ge=2, le=2000)] = Field(
        10,
        description="Managed scaling's ceiling for core + task units; at least core_capacity_units + task_spot_capacity_units.",
    )
    # None: on-demand stays at the core fleet, so every unit managed scaling adds is spot.
    max_on_demand_capacity_units: Annotated[int | None, Field(ge=1, le=2000)] = Field(
        None,
        description="On-demand ceiling, between the core units and max_capacity_units; unset: the core units, so all growth is spot.",
    )
    # 0 switches idle auto-termination off (not recommended: the cluster then bills 24x7). Not null:
    # the CDK drops null context values, so null would silently mean the default.
    idle_timeout_seconds: int = Field(
        3600,
        description="Idle auto-termination: 60-604800 seconds, or 0 for off (not recommended; null is refused because the CDK drops null context values).",
    )
    step_concurrency_level: Annotated[int, Field(ge=1, le=256)] = Field(
        2,
        description="Steps that may run at once on the cluster.",
    )
    ebs_volume_size_gib: Annotated[int, Field(ge=32, le=2048)] = Field(
        64,
        description="gp3 data volume per node (HDFS, spill), encrypted with the lake key.",
    )
    termination_protection: bool = Field(
        True,
        description="EMR termination protection on the cluster; must be false in transient mode.",
    )
    # A PEM zip from your private CA; None generates a self-signed one in the account at deploy time.
    tls_certificate_s3_uri: Annotated[str | None, Field(pattern=r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/\S+\.zip$")] = Field(
        None,
        description="PEM zip from your private CA (s3://bucket/key.zip); unset: a self-signed one is generated in the account at deploy time.",
    )
    # long_running: one CloudFormation-managed cluster that waits for work. transient: the
    # pipeline creates a cluster for each run from the same definition and terminates it.
    mode: Literal["long_running", "transient"] = Field(
        "long_running",
        description="long_running: one CloudFormation-managed cluster that waits for work; transient: one cluster per pipeline run from the same definition.",
    )
    # Three primary nodes (long_running only): no single point of failure on the primary.
    primary_nodes: Literal[PRIMARY_NODE_COUNTS] = Field(
        1,
        description="1 or 3 primary nodes; 3 needs mode long_running, kerberos.provider external, termination_protection true and no idle timeout.",
    )
    kerberos: KerberosSettings = Field(KerberosSettings(), description="Who issues the cluster's Kerberos tickets.")

    # The generated certificate: its lifetime, and the generation to renew it (README, "Renewing
    # the TLS certificate"): a new generation writes a new zip and a new security configuration,
    # so CloudFormation replaces the cluster; the material of running nodes is never rewritten.
    tls_certificate_validity_days: Annotated[int, Field(ge=30, le=3650)] = Field(
        1095,
        description="Lifetime of the generated TLS certificate (applies from the next generation).",
    )
    tls_certificate_generation: Annotated[int, Field(ge=1, le=9999)] = Field(
        1,
        description="Raise it to renew the generated certificate: a new zip, security configuration and cluster.",
    )

    @field_validator("idle_timeout_seconds", mode="before")
    @classmethod
    def _idle_timeout(cls, value):
        if value is None:
            raise ValueError(
                "null does not reach the app (the CDK drops null context values, so the default 3600 would apply): "
                f"use {IDLE_TIMEOUT_OFF} to switch idle auto-termination off"
            )
        if isinstance(value, int) and not isinstance(value, bool) and value != IDLE_TIMEOUT_OFF and not 60 <= value <= 604800:
            raise ValueError(f"must be 60-604800 seconds (EMR's AutoTerminationPolicy range), or {IDLE_TIMEOUT_OFF} for off")
        return value

    @field_validator("release_label")
    @classmethod
    def _release(cls, value: str) -> str:
        match = re.fullmatch(r"emr-(\d+)\.(\d+)\.(\d+)", value)
        if not match or int(match.group(1)) < 7:
            raise ValueError("must be an EMR release label of 7.x or later, e.g. 'emr-7.13.0'")
        return value

    @property
    def on_demand_capacity_units(self) -> int:
        return self.max_on_demand_capacity_units or self.core_capacity_units

    @model_validator(mode="after")
    def _fleets_fit(self):
        first = self.primary_instance_types[0]
        for field in ("primary_instance_types", "core_instance_types", "task_instance_types"):
            if odd := [t for t in getattr(self, field) if is_graviton(t) != is_graviton(first)]:
                raise ValueError(
                    f"emr.{field} mixes CPU architectures: {', '.join(odd)} is not {_architecture(first)} like {first}; "
                    "a cluster runs one AMI, so keep one architecture in all fleets"
                )
        if self.max_capacity_units < self.core_capacity_units + self.task_spot_capacity_units:
            raise ValueError(
                f"emr.max_capacity_units ({self.max_capacity_units}) must be at least emr.core_capacity_units + "
                f"emr.task_spot_capacity_units ({self.core_capacity_units + self.task_spot_capacity_units})"
            )
        if not self.core_capacity_units <= self.on_demand_capacity_units <= self.max_capacity_units:
            raise ValueError(
                f"emr.max_on_demand_capacity_units ({self.on_demand_capacity_units}) must be between "
                f"emr.core_capacity_units ({self.core_capacity_units}) and emr.max_capacity_units ({self.max_capacity_units})"
            )
        return self

    @model_validator(mode="after")
    def _mode_and_availability(self):
        if self.mode == "transient" and self.termination_protection:
            raise ValueError(
                "emr.termination_protection must be false with emr.mode transient: "
                "the pipeline terminates each cluster when its run ends"
            )
        if self.primary_nodes == 3:
            # Each refusal is a combination EMR rejects or silently overrides (see HA_GUIDE).
            if self.mode != "long_running":
                raise ValueError("emr.primary_nodes 3 needs emr.mode long_running: three primaries keep a long-lived cluster up, a per-run cluster gains nothing")
            if self.kerberos.provider != "external":
                raise ValueError(
                    f"emr.primary_nodes 3 needs emr.kerberos.provider external: EMR supports Kerberos on a cluster with "
                    f"multiple primary nodes only with an external KDC ({HA_GUIDE})"
                )
            if not self.termination_protection:
                raise ValueError(
                    f"emr.primary_nodes 3 needs emr.termination_protection true: EMR turns it on for every cluster with "
                    f"multiple primary nodes ({HA_GUIDE})"
                )
            if "idle_timeout_seconds" in self.model_fields_set and self.idle_timeout_seconds != IDLE_TIMEOUT_OFF:
                raise ValueError(
                    f"emr.idle_timeout_seconds must be unset or {IDLE_TIMEOUT_OFF} with emr.primary_nodes 3: EMR overrides auto-termination "
                    f"on clusters with multiple primary nodes ({HA_GUIDE})"
                )
        return self

    @property
    def auto_termination_seconds(self) -> int | None:
        """The idle timeout the cluster is created with: none on multi-primary clusters, which EMR overrides."""
        return None if self.primary_nodes == 3 or self.idle_timeout_seconds == IDLE_TIMEOUT_OFF else self.idle_timeout_seconds
