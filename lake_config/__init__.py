"""Typed, validated settings for each deployment stage, read from cdk.json context."""
from lake_config.config_error import ConfigError
from lake_config.loader import load_settings
from lake_config.models import LakeSettings

__all__ = ["ConfigError", "LakeSettings", "load_settings"]
