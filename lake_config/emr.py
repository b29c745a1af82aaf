"""Settings of the network and the EMR cluster (filled in by the EMR work)."""
from lake_config.base import Section


class NetworkSettings(Section):
    """VPC for the processing layer."""


class EmrSettings(Section):
    """The EMR on EC2 cluster."""

    enabled: bool = False
