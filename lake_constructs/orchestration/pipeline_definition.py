"""The curation pipeline: what a run does (its plan, decided at synth) and its flow.

    Plan -> get a cluster (create a transient one / find the long-running one)
         -> one curation step per dataset (Map; a failed step is recorded, the others go on)
         -> [transient] terminate the cluster
         -> [if a crawler is configured] crawl
         -> [if any dataset has a ruleset] Glue Data Quality per dataset
         -> summary; fail if a step, the crawl or a check failed
    Any unexpected error: terminate the transient cluster (if any), fail with the original error.

Only `aws-sdk:` integrations and polling loops (plus Lambda invoke and SNS publish), no `.sync`:
each wait is a Wait state, each poll is bounded by a counter, and moto can execute all of it.
No state calls EMR's DescribeCluster: its answer holds the Kerberos attributes, and a task's raw
answer stays in the execution history; the pipeline cluster function describes clusters
instead. Ignored task results go to a path of their own rather than `ResultPath: null`, which
AWS treats the same but moto mishandles after a Map state.
An execution that is stopped or times out runs none of this: the cluster sweeper
(sweeper_states.py) terminates what such a run left behind. The states themselves are CDK's
(pipeline_states.py), composed per stage.
"""
import re
from dataclasses import dataclass
from typing import Any, Mapping

from lake_config import LakeSettings
from lake_config.curation_step import curation_step_arguments
from lake_config.datasets import Dataset

# Stands for the run's id in a step argument; the state machine puts the execution name there.
RUN_ID = "@RUN_ID@"


@dataclass(frozen=True)
class QualityCheck:
    """A Glue Data Quality ruleset to evaluate on a curated table after its dataset's step."""

    database: str
    table: str
    ruleset: str
    # The role the evaluation runs as: each dataset's reads only its own table (catalog stack).
    role_arn: str


@dataclass(frozen=True)
class PipelinePlan:
    """What a run does, decided at synth."""

    steps: list[dict]
    log_uri: str
    crawler: str | None = None


def dataset_steps(
    settings: LakeSettings,
    *,
    script_uri: str,
    raw_bucket: str,
    curated_bucket: str,
    database: str,
    quality: Mapping[str, QualityCheck],
) -> list[dict]:
    """One Map item per dataset: its step's name and arguments (`lake_config.curation_step.curation_step_arguments`,
    the same list the CLI submits) and its data-quality check, if it has one."""
    return [
        {
            "name": dataset.name,
            "step_name": step_name(settings, dataset),
            "args": _with_run_id(
                curation_step_arguments(
                    dataset,
                    script_uri=script_uri,
                    raw_bucket=raw_bucket,
                    curated_bucket=curated_bucket,
                    database=database,
                    run_id=RUN_ID,
                    emr=settings.emr,
                )
            ),
            "quality": _quality(quality.get(dataset.name)),
        }
        for dataset in settings.datasets
    ]


def step_name(settings: LakeSettings, dataset: Dataset) -> str:
    """`<prefix>-curate-<dataset>`: the failed-step rule matches the stage's steps by this prefix."""
    return f"{settings.prefix}-curate-{dataset.name}"


def _with_run_id(args: list[str]) -> list[Any]:
    # An argument holding the run id becomes {"format": "...{}..."}, filled by States.Format.
    converted = []
    for arg in args:
        if RUN_ID in arg:
            # A CDK token (bucket names hold the account) resolves to text without braces.
            if re.search(r"[{}]", re.sub(r"\$\{Token\[[^\]]*\]\}", "", arg)):
                raise ValueError(f"a step argument with the run id must not contain braces: {arg}")
            converted.append({"format": arg.replace(RUN_ID, "{}")})
        else:
            converted.append(arg)
    return converted


def _quality(check: QualityCheck | None) -> dict:
    # An explicit flag, not null: a null in a Pass state's literal parameters is easy to lose.
    if check is None:
        return {"enabled": False}
    return {"enabled": True, "database": check.database, "table": check.table, "ruleset": check.ruleset, "role": check.role_arn}
