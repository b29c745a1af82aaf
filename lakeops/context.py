"""What every command shares: the stage, its AWS clients, its discovered resources, progress."""

from functools import cached_property

import click

from lakeops.aws import Aws
from lakeops.discovery import Resources, Stage, discover


class Lake:
    """One deployed stage as the CLI sees it. Discovery runs on first use, so ``--help`` is offline."""

    def __init__(self, project: str, stage: str | None, profile: str | None, region: str | None,
                 poll_interval: float):
        self.project = project
        self.stage_name = stage
        self.aws = Aws(profile, region)
        self.poll_interval = poll_interval

    @cached_property
    def stage(self) -> Stage:
        if not self.stage_name:
            raise click.UsageError("Missing option '--stage' (or LAKEOPS_STAGE): which deployment to operate on.")
        return Stage(self.project, self.stage_name)

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
