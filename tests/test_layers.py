"""The layers run one way: the CLI (lakeops/) builds on the CDK code's settings, never the reverse.

A fork that deploys only the stacks must not need the CLI's dependencies, and a change to the
CLI must not change a template. What both sides share (lake_config.pointers, the settings)
lives in lake_config. Read with `ast`, so an import inside a function counts as well.
"""
import ast
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parent.parent
CDK_CODE = ("app.py", "compliance", "lake_config", "lake_constructs", "stacks")
CLI = "lakeops"


def imported_modules(source: str) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
    return modules


def imports_cli(source: str) -> set[str]:
    return {name for name in imported_modules(source) if name == CLI or name.startswith(CLI + ".")}


def cdk_modules() -> list[Path]:
    paths = []
    for entry in CDK_CODE:
        path = REPOSITORY / entry
        paths.extend([path] if path.is_file() else sorted(path.rglob("*.py")))
    return paths


def test_cdk_code_does_not_import_the_cli():
    modules = cdk_modules()
    assert len(modules) > len(CDK_CODE)  # the walk found the packages' modules
    offenders = {str(path.relative_to(REPOSITORY)): sorted(imports_cli(path.read_text())) for path in modules}
    assert {path: names for path, names in offenders.items() if names} == {}


@pytest.mark.parametrize("source", [
    "from lakeops import pointers",
    "import lakeops.errors",
    "def f():\n    from lakeops.context import Lake\n",
])
def test_every_form_of_import_is_seen(source):
    assert imports_cli(source)


def test_a_similar_name_is_not_the_cli():
    assert not imports_cli("import lakeops_extra\nfrom lake_config import pointers\n")
