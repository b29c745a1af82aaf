"""Refuses to deploy a stage bound to one account with the credentials of another, in one line.

The Makefile runs it before every `cdk deploy` and `cdk destroy` of a synthesized assembly:

    python -m stacks.account_check cdk.out --setting stages.prod.account

Each stack's manifest environment (`aws://<account>/<region>`) is what the stage's `account`
setting made it; the caller's account is STS GetCallerIdentity's (which needs no permission).
Without the check, the CLI would try the other account's bootstrap roles and fail several
lines deep, or, with a role trusted across accounts, deploy where it should not. A stage still
bound to one of AWS's example accounts (lake_config.promotion) is refused before any AWS call.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from lake_config.promotion import PLACEHOLDER_ACCOUNTS

UNBOUND = "unknown-account"


def bound_accounts(assembly_dir: str | Path) -> set[str]:
    """The accounts the assembly's stacks are bound to (empty: environment-agnostic)."""
    manifest = json.loads((Path(assembly_dir) / "manifest.json").read_text())
    environments = {a["environment"] for a in manifest["artifacts"].values() if a["type"] == "aws:cloudformation:stack"}
    return {env.removeprefix("aws://").split("/")[0] for env in environments} - {UNBOUND}


def caller_account() -> str:
    import boto3  # only when a stage is bound: an unbound one needs no AWS call

    return boto3.client("sts").get_caller_identity()["Account"]


def problem(assembly_dir: str | Path, setting: str, caller=caller_account) -> str | None:
    accounts = bound_accounts(assembly_dir)
    if not accounts:
        return None
    if len(accounts) > 1:
        return f"{setting}: the assembly in {assembly_dir} spans accounts {', '.join(sorted(accounts))}; a stage deploys to one"
    (account,) = accounts
    if account in PLACEHOLDER_ACCOUNTS:
        return f"{setting} is {account}, AWS's example account that cdk.json ships: set it to the 12-digit id of the account this stage deploys to"
    try:
        theirs = caller()
    except Exception as error:  # botocore's NoCredentialsError, ClientError, ...: the reason in one line
        return f"{setting} binds this stage to account {account}, and no AWS credentials could be checked against it ({type(error).__name__}: {error})"
    if theirs != account:
        return (
            f"{setting} binds this stage to account {account}, but the credentials are of account {theirs}: "
            "use the credentials (profile or role) of that account, or change the setting"
        )
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assembly")
    parser.add_argument("--setting", required=True, help="the setting that bound the stage, for the message")
    args = parser.parse_args(argv)
    if found := problem(args.assembly, args.setting):
        print(f"account check: {found}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
