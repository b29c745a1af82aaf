"""Settings of the QuickSight layer (filled in by the QuickSight work)."""
from lake_config.base import Section


class QuickSightSettings(Section):
    """QuickSight is off unless a stage switches it on."""

    enabled: bool = False
