"""What the CLI takes from the repository it ships in: cdk.json's stages (their names, project
and pinned region) and the dataset contracts, so a fork that renamed its project, pinned a
region or moved its datasets types nothing more than `--stage`."""

import functools
import json
from pathlib import Path

from lake_config.datasets import DATASETS_DIR, REPOSITORY
from lake_config import ConfigError, load_settings
from lake_config.emr_settings import EmrSettings
from lake_config.models import LakeSettings

CDK_JSON = REPOSITORY / "cdk.json"
DEFAULT_PROJECT = LakeSettings.model_fields["project"].default


@functools.cache
def _context(path: Path) -> dict:
    try:
        context = json.loads(path.read_text()).get("context", {})
    except (OSError, ValueError):
        return {}
    return context if isinstance(context, dict) else {}


def cdk_context() -> dict:
    return _context(CDK_JSON)


def stage_names() -> list[str]:
    """The stages cdk.json declares."""
    stages = cdk_context().get("stages")
    return sorted(stages) if isinstance(stages, dict) else []


def _stage_values(stage: str | None) -> dict:
    stages = cdk_context().get("stages")
    values = stages.get(stage) if isinstance(stages, dict) and stage else None
    return values if isinstance(values, dict) else {}


def project_for(stage: str | None, base_stage: str | None = None) -> str:
    """The stage's `project` (an ephemeral stage's: its base's), else cdk.json's top-level
    `project`, else the settings' default: the same precedence as `cdk synth` (lake_config.loader)."""
    values = _stage_values(base_stage or stage)
    if isinstance(values.get("project"), str):
        return values["project"]
    project = cdk_context().get("project")
    return project if isinstance(project, str) else DEFAULT_PROJECT


def pinned_region(stage: str, base_stage: str | None = None) -> str | None:
    """`stages.<stage>.region` (an ephemeral stage's: its base's): where `cdk synth` puts its stacks."""
    region = _stage_values(base_stage or stage).get("region")
    return region if isinstance(region, str) else None


def datasets_dir() -> Path:
    """cdk.json's `datasets_dir` (relative to the repository), else datasets/."""
    configured = cdk_context().get("datasets_dir")
    return REPOSITORY / configured if isinstance(configured, str) and configured else DATASETS_DIR


def emr_settings(stage: str) -> EmrSettings:
    """The stage's cluster settings as `cdk synth` reads them (they size a curation step's Spark
    settings, lake_config.spark_sizing); the defaults where cdk.json does not load."""
    try:
        return load_settings({**cdk_context(), "stage": stage}).emr
    except ConfigError:
        return EmrSettings()
