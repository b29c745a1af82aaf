"""What several test modules share: the repository root, cdk.json's context, a stage's context
with some settings changed, and app.py run the way `cdk synth` runs it."""
import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lake_config import ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[1]
CDK_CONTEXT = json.loads((ROOT / "cdk.json").read_text())["context"]
# A dataset only the tests declare (tests/fixtures/<name>/contract.odcs.yaml).
THIRD_DATASET = ROOT / "tests" / "fixtures" / "stock_levels"


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
    """A fork's cdk.json context: project renamed, a new stage `qa` made from prod with other
    values, and a third dataset (from `datasets_dir`, which also holds the shipped ones) with
    row-level security on one of its columns, governed by Lake Formation alone."""
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
    context["stages"]["qa"] = qa
    context.update(
        project="acme-data", stage="qa", datasets_dir=str(datasets_dir),
        datasets=list(dict.fromkeys([*CDK_CONTEXT["datasets"], THIRD_DATASET.name])),
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
