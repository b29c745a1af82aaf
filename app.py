#!/usr/bin/env python3
"""Entry point of `cdk synth` / `cdk deploy`: one stage, all stacks, all compliance packs."""
import json
import os
import sys
from pathlib import Path

import aws_cdk as cdk

from compliance import add_compliance_packs, synth_through_the_gate
from lake_config import ConfigError, load_settings
from lake_config.loader import config_warnings
from stacks.stage import build_stacks


def cli_context() -> dict:
    """The context as the CDK CLI sent it, nulls included (the CDK app drops them)."""
    if overflow := os.environ.get("CONTEXT_OVERFLOW_LOCATION_ENV"):
        return json.loads(Path(overflow).read_text())
    return json.loads(os.environ.get("CDK_CONTEXT_JSON") or "{}")


def main() -> None:
    app = cdk.App()
    context = app.node.get_all_context()
    try:
        settings = load_settings(context, cli_context())
        for warning in config_warnings(context):
            print(warning, file=sys.stderr)
        # Building checks what the settings cannot see alone (dashboard definitions against the
        # dataset declarations) and raises the same one-line ConfigError.
        build_stacks(app, settings)
    except ConfigError as error:
        sys.exit(f"configuration error: {error}")
    add_compliance_packs(app)
    sys.exit(synth_through_the_gate(app))


if __name__ == "__main__":
    main()
