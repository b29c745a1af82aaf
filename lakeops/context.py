"""What every command shares: the stage, its AWS clients, its discovered resources, progress."""

import os
from functools import cached_property
from pathlib import Path

import click

from lake_config import ConfigError
from lake_config.contracts import load_dataset
from lake_config.datasets import Dataset
from lakeops import configuration
from lakeops.aws import Aws
from lakeops.discovery import DATASETS_PATH, Resources, Stage, discover
from lakeops.errors import LakeOpsError, NotDeployedError


class Lake:
    """One deployed stage as the CLI sees it. Discovery runs on first use, so ``--help`` is offline.

    `stage` must be one of cdk.json's stages, or a new name with `base_stage` one of them (an
    ephemeral stage, as `cdk synth -c stage=<new> -c base_stage=<shipped>`). `project` None means
    cdk.json's project for the stage; `region` None means the stage's pinned region, else
    AWS_REGION, else boto3's own (AWS_DEFAULT_REGION, the profile's); `datasets_dir` None means
    cdk.json's `datasets_dir` or datasets/: where the contracts (and their sample/ folders) are read."""

    def __init__(self, project: str | None, stage: str | None, profile: str | None, region: str | None,
                 poll_interval: float, datasets_dir: Path | None = None, base_stage: str | None = None):
        self._project = project
        self.stage_name = stage
        self.base_stage = base_stage
        self._profile = profile
        self._region = region
        self.poll_interval = poll_interval
        self.datasets_dir = Path(datasets_dir) if datasets_dir else configuration.datasets_dir()

    @cached_property
    def stage(self) -> Stage:
        if not self.stage_name:
            raise click.UsageError("Missing option '--stage' (or LAKEOPS_STAGE): which deployment to operate on.")
        _check_stage(self.stage_name, self.base_stage)
        return Stage(self._project or configuration.project_for(self.stage_name, self.base_stage), self.stage_name)

    @cached_property
    def aws(self) -> Aws:
        return Aws(self._profile, self.region)

    @property
    def region(self) -> str | None:
        """The stage's stacks are where cdk.json pins them: an explicit other --region is a mistake."""
        pinned = configuration.pinned_region(self.stage.name, self.base_stage) if self.stage_name else None
        if self._region and pinned and self._region != pinned:
            raise click.BadParameter(
                f"stage '{self.stage_name}' is pinned to {pinned} (stages.{self.base_stage or self.stage_name}.region "
                f"in cdk.json): its stacks are not in {self._region}; leave --region out", param_hint="'--region'")
        return self._region or pinned or os.environ.get("AWS_REGION") or None

    @property
    def project(self) -> str:
        return self.stage.project

    def datasets(self, only: str | None = None) -> list[Dataset]:
        """The deployed datasets (all, or `only`), each read from its contract in the repository."""
        deployed = self.resources.datasets()
        if not deployed:
            raise NotDeployedError(
                f"stage '{self.stage.name}' publishes no datasets under {self.stage.parameter_name(DATASETS_PATH)} "
                f"(stack {self.resources.publisher(DATASETS_PATH)}). Run '{self.stage.deploy_command}'."
            )
        if only and only not in deployed:
            raise NotDeployedError(
                f"dataset '{only}' is not deployed in stage '{self.stage.name}' (deployed: {', '.join(deployed)}); "
                "add it to cdk.json's datasets and deploy the stage."
            )
        names = [only] if only else deployed
        try:
            return [load_dataset(name, self.datasets_dir) for name in names]
        except ConfigError as err:
            raise LakeOpsError(f"{err} (the CLI reads the contracts of the deployed datasets from {self.datasets_dir})") from err

    @cached_property
    def resources(self) -> Resources:
        stage = self.stage  # a missing --stage is a usage error, before any AWS call
        return discover(self.client("ssm"), stage)

    def client(self, service: str):
        return self.aws.client(service)

    def require(self, *keys: str) -> tuple[str, ...]:
        return self.resources.require(*keys)

    def param(self, key: str) -> str:
        return self.require(key)[0]

    def progress(self, message: str) -> None:
        """Progress goes to stderr so stdout stays the command's result."""
        click.echo(message, err=True)


def _check_stage(stage: str, base_stage: str | None) -> None:
    """Refuses a stage cdk.json does not declare, as `cdk synth` does (lake_config.loader)."""
    stages = configuration.stage_names()
    declared = ", ".join(stages) or "none"
    if base_stage is not None:
        if base_stage not in stages:
            raise click.BadParameter(f"unknown stage {base_stage!r}: cdk.json declares {declared}", param_hint="'--base-stage'")
        if stage in stages:
            raise click.BadParameter(f"{stage!r} is in cdk.json; --base-stage is only for a new (ephemeral) stage name",
                                     param_hint="'--base-stage'")
    elif stage not in stages:
        raise click.BadParameter(
            f"unknown stage {stage!r}: cdk.json declares {declared} (an ephemeral stage also takes --base-stage "
            "<the stage it derives from>)", param_hint="'--stage'")
