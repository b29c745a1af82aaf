"""What several test modules share: the repository root, cdk.json's context, a stage's context
with some settings changed, and app.py run the way `cdk synth` runs it."""
import copy
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from lake_config import ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[1]
CDK_CONTEXT = json.loads((ROOT / "cdk.json").read_text())["context"]
# Datasets only the tests declare (tests/fixtures/<name>/contract.odcs.yaml): a fork's own.
THIRD_DATASET = ROOT / "tests" / "fixtures" / "stock_levels"
# `orders`, the docs' example of a new dataset: with its own sample and the starter dashboard.
ORDERS_DATASET = ROOT / "tests" / "fixtures" / "orders"
FORK_DATASETS = (THIRD_DATASET, ORDERS_DATASET)
# 14 characters: long enough that the shipped ephemeral stage names (e2epr42) no longer fit.
FORK_PROJECT = "acme-analytics"


def absent_name(prefix: str = "nosuch", sep: str = "_") -> str:
    """A name no configuration declares, as an example of "does not exist": generated, so a fork
    can never choose it (a fork that adds a dataset called `orders` must not turn a test of an
    unknown dataset into a run of a real one). `sep` "" gives a valid stage name, "_" a valid
    dataset name, "-" a dashboard or query name."""
    return f"{prefix}{sep}{uuid.uuid4().hex[:8]}"


def stage_context(stage: str = "dev", *, replace: bool = False, **sections) -> dict:
    """cdk.json's context with `stage` selected; each dict in `sections` is merged into that
    stage's section of the same name (or replaces it with `replace=True`), other values are set."""
    context = copy.deepcopy(CDK_CONTEXT)
    context["stage"] = stage
    settings = context["stages"][stage]
    for name, values in sections.items():
        merge = isinstance(values, dict) and not replace
        settings[name] = {**settings.get(name, {}), **values} if merge else values
    return context


def fork_context(datasets_dir: Path) -> dict:
    """A fork's cdk.json context: project renamed (14 characters), a new stage `qa` made from
    prod with other values and governed by Lake Formation alone, a stage `lean` made from dev with
    EMR Studio and QuickSight off, and two datasets of its own (from `datasets_dir`, which also
    holds the shipped ones): stock_levels with row-level security on one of its columns, and
    `orders`."""
    context = copy.deepcopy(CDK_CONTEXT)
    qa = copy.deepcopy(context["stages"]["prod"])
    qa["storage"]["athena_results_expiration_days"] = 14
    qa["catalog"]["crawler_schedule"] = "cron(30 4 * * ? *)"
    qa["quicksight"]["owner_principal"] = "arn:aws:quicksight:us-east-1:{account}:group/default/acme-owners"
    qa["quicksight"]["readers_principal"] = "arn:aws:quicksight:us-east-1:{account}:group/default/acme-readers"
    qa["quicksight"]["row_level_security"] = {"enabled": True, "columns": {THIRD_DATASET.name: ["warehouse"]}}
    # prod is hybrid; the fork is governed by Lake Formation alone, by its own administrator.
    qa["governance"] = {"mode": "lake_formation", "admins": ["arn:aws:iam::{account}:role/acme-lake-admin"],
                        "analysts_principal": "arn:aws:iam::{account}:role/acme-analysts"}
    qa["studio"] = {"enabled": False}
    lean = copy.deepcopy(context["stages"]["dev"])
    lean["studio"] = {"enabled": False}
    lean["quicksight"] = {"enabled": False}
    context["stages"] |= {"qa": qa, "lean": lean}
    context.update(
        project=FORK_PROJECT, stage="qa", datasets_dir=str(datasets_dir),
        datasets=list(dict.fromkeys([*CDK_CONTEXT["datasets"], *(d.name for d in FORK_DATASETS)])),
    )
    return context


def config_error(context: dict) -> str:
    """The ConfigError `load_settings` raises for `context`, checked to be one line."""
    with pytest.raises(ConfigError) as raised:
        load_settings(context)
    message = str(raised.value)
    assert "\n" not in message
    return message


def synth_with_app_py(context: dict) -> subprocess.CompletedProcess:
    """Runs app.py with `context` as the CDK CLI passes it (CDK_CONTEXT_JSON)."""
    env = {**os.environ, "CDK_CONTEXT_JSON": json.dumps(context), "CDK_OUTDIR": "/tmp/never"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    return subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def e2e_role_permissions() -> dict:
    """The e2e role's permissions policy as it is created for this project
    (scripts/e2e_role_policy.py renames the committed file's `datalake-e2e*`)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("e2e_role_policy", ROOT / "scripts" / "e2e_role_policy.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return json.loads(module.policy_text(CDK_CONTEXT.get("project", "datalake")))


def e2e_stage_names() -> list[str]:
    """The ephemeral stages CI makes for pull request 42 and run 17 (scripts/e2e_stage_name.py)."""
    from lake_config.names import ephemeral_stage_name

    project = CDK_CONTEXT.get("project", "datalake")
    return [ephemeral_stage_name(project, "pr", 42), ephemeral_stage_name(project, "r", 17)]

