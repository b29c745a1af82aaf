"""Finds a stage's resources from the SSM parameters its stacks publish (docs/CONTRACTS.md).

Nothing but project and stage is typed by hand: every bucket, database, crawler, workgroup
and cluster name comes from ``/{project}/{stage}/``.
"""

from dataclasses import dataclass

from lakeops.errors import NotDeployedError

# Parameter (relative to /{project}/{stage}/) -> the stack component that publishes it,
# copied from the table in docs/CONTRACTS.md so a missing one can name its stack.
PUBLISHED_BY = {
    "storage/kms-key-arn": "storage",
    "storage/raw-bucket": "storage",
    "storage/curated-bucket": "storage",
    "storage/athena-results-bucket": "storage",
    "storage/logs-bucket": "storage",
    "catalog/raw-database": "catalog",
    "catalog/curated-database": "catalog",
    "analytics/workgroup": "analytics",
    "emr/mode": "emr",
    "emr/cluster-id": "emr",
    "emr/curation-script-uri": "emr",
    "emr/log-uri": "emr",
    # Only with the generated self-signed certificate (not with emr.tls_certificate_s3_uri).
    "emr/tls-certificate-not-after": "emr",
    "pipeline/state-machine-arn": "pipeline",
    "pipeline/log-group": "pipeline",
    "pipeline/dead-letter-queue": "pipeline",
}


# Per-dataset parameters live under this path, one folder per dataset (docs/CONTRACTS.md).
DATASETS_PATH = "catalog/datasets/"


def dataset_param(dataset: str, name: str) -> str:
    return f"{DATASETS_PATH}{dataset}/{name}"


@dataclass(frozen=True)
class Stage:
    project: str
    name: str

    @property
    def parameter_path(self) -> str:
        return f"/{self.project}/{self.name}/"

    def parameter_name(self, key: str) -> str:
        return f"{self.parameter_path}{key}"

    def stack(self, component: str) -> str:
        return f"{self.project}-{self.name}-{component}"

    @property
    def deploy_command(self) -> str:
        return f"make deploy STAGE={self.name}"


class Resources:
    """The stage's published parameters; commands ask only for the ones they use."""

    def __init__(self, stage: Stage, values: dict[str, str]):
        self.stage = stage
        self.values = values

    def require(self, *keys: str) -> tuple[str, ...]:
        """Values of ``keys`` in order, or one NotDeployedError naming every missing one."""
        missing = [key for key in keys if key not in self.values]
        if missing:
            raise NotDeployedError(self.describe_missing(missing))
        return tuple(self.values[key] for key in keys)

    def get(self, key: str) -> str | None:
        return self.values.get(key)

    def datasets(self) -> list[str]:
        """The datasets the catalog stack published, from `catalog/datasets/<name>/...`."""
        return sorted({key.split("/")[2] for key in self.values if key.startswith(DATASETS_PATH) and key.count("/") == 3})

    def publisher(self, key: str) -> str:
        return self.stage.stack(PUBLISHED_BY.get(key, key.split("/")[0]))

    def describe_missing(self, missing: list[str]) -> str:
        entries = [
            f"{self.stage.parameter_name(key)} (published by stack {self.publisher(key)})" for key in missing
        ]
        deploy = f"Run '{self.stage.deploy_command}'."
        if len(entries) == 1:
            return f"stage '{self.stage.name}' is not deployed: missing {entries[0]}. {deploy}"
        listed = "\n".join(f"  {entry}" for entry in entries)
        return f"stage '{self.stage.name}' is not deployed: missing {len(entries)} parameters:\n{listed}\n{deploy}"


def discover(ssm, stage: Stage) -> Resources:
    """Reads every parameter under the stage's path in one paginated, recursive listing."""
    values = {}
    pages = ssm.get_paginator("get_parameters_by_path").paginate(Path=stage.parameter_path, Recursive=True)
    for page in pages:
        for parameter in page["Parameters"]:
            values[parameter["Name"].removeprefix(stage.parameter_path)] = parameter["Value"]
    return Resources(stage, values)
