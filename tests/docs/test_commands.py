"""Every shell command the README's quickstart, deploy and fork sections and the fork guide
(docs/forking.md) show is one that `make` (the Makefile's targets and variables) or the CLI
(`python -m lakeops`, parsed by its own click commands) accepts."""
import re
import shlex
import warnings

import click
import pytest

from lakeops.cli import cli
from tests.helpers import CDK_CONTEXT, ROOT

MAKEFILE = (ROOT / "Makefile").read_text()
TARGETS = set(re.findall(r"^([a-z][\w-]*):(?!=)", MAKEFILE, re.M))
VARIABLES = set(re.findall(r"^(?:export +)?([A-Z][A-Z0-9_]*) *[?:]?=", MAKEFILE, re.M))
# The other commands the guides show, none of them this project's.
OTHERS = ("export ", "npx cdk bootstrap")
README_SECTIONS = ("Quickstart", "Deploy and destroy", "Fork in five steps")
# Placeholders the guides write, and a value of the shipped configuration for each.
PLACEHOLDERS = {"<stage>": next(iter(CDK_CONTEXT["stages"])), "<name>": CDK_CONTEXT["datasets"][0]}


def _section(text: str, title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"README has no section {title!r}"
    return match[1]


def commands_in(text: str) -> list[str]:
    found = []
    for block in re.findall(r"^ *```(?:bash|sh)\n(.*?)^ *```", text, re.M | re.S):
        found += [line.split(" #")[0].strip() for line in block.splitlines() if line.strip() and not line.strip().startswith("#")]
    found += [span for span in re.findall(r"`([^`\n]+)`", text) if span.startswith(("make ", "python -m lakeops"))]
    return [part.strip() for command in found for part in command.split("&&")]


def shown_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    text = "\n".join(_section(readme, title) for title in README_SECTIONS) + (ROOT / "docs" / "forking.md").read_text()
    commands = commands_in(text)
    for placeholder, value in PLACEHOLDERS.items():
        commands = [c.replace(placeholder, value) for c in commands]
    return list(dict.fromkeys(commands))


def make_problem(words: list[str]) -> str | None:
    targets = [w for w in words[1:] if "=" not in w]
    unknown = [w.split("=")[0] for w in words[1:] if "=" in w and w.split("=")[0] not in VARIABLES]
    if not targets or any(t not in TARGETS for t in targets):
        return f"targets {targets} are not all among the Makefile's {sorted(TARGETS)}"
    return f"unknown make variables {unknown}" if unknown else None


def lakeops_problem(words: list[str]) -> str | None:
    """Parses the command line as the CLI would (options, arguments, subcommands) without running it."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "'protected_args' is deprecated", DeprecationWarning)  # click 8.2; still how a group parses
        try:
            ctx = cli.make_context("lakeops", list(words[3:]))
            group, rest = cli, ctx.protected_args + ctx.args
            while rest:
                name, command, rest = group.resolve_command(ctx, rest)
                ctx = command.make_context(name, list(rest), parent=ctx)
                group, rest = command, ctx.protected_args + ctx.args if isinstance(command, click.Group) else []
            return None if not isinstance(group, click.Group) else "no command given"
        except click.ClickException as error:
            return error.format_message()


def problem(command: str) -> str | None:
    words = shlex.split(command)
    if words[0] == "make":
        return make_problem(words)
    if words[:3] == ["python", "-m", "lakeops"]:
        return lakeops_problem(words)
    return None if command.startswith(OTHERS) else "neither make nor python -m lakeops"


def test_the_guides_show_make_and_cli_commands():
    commands = shown_commands()
    assert {"make synth", "make test"} <= set(commands)
    assert any(c.startswith("python -m lakeops") for c in commands) and any(c.startswith("make deploy ") for c in commands)


@pytest.mark.parametrize("command", shown_commands())
def test_each_shown_command_is_accepted(command):
    assert problem(command) is None, f"{command}: {problem(command)}"


@pytest.mark.parametrize("command", ["make deploy-everything STAGE=dev", "make deploy STAGES=dev", "python -m lakeops --stage dev smoke-tests",
                                     "python -m lakeops --stage dev smoke-test --datasets sales", "python -m lakeops --stage dev", "cdk deploy --all"])
def test_a_command_neither_accepts_is_refused(command):
    assert problem(command)
