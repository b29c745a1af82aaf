#!/usr/bin/env python3
"""Entry point of `cdk synth` / `cdk deploy`: one stage, all stacks, all compliance packs."""
import sys

import aws_cdk as cdk

from compliance import add_compliance_packs, write_compliance_summary
from lake_config import ConfigError, load_settings
from stacks.stage import build_stacks


def main() -> None:
    app = cdk.App()
    try:
        settings = load_settings(app.node.get_all_context())
        # Building checks what the settings cannot see alone (dashboard definitions against the
        # dataset declarations) and raises the same one-line ConfigError.
        build_stacks(app, settings)
    except ConfigError as error:
        sys.exit(f"configuration error: {error}")
    add_compliance_packs(app)
    assembly = app.synth()
    write_compliance_summary(app, assembly.directory)


if __name__ == "__main__":
    main()
