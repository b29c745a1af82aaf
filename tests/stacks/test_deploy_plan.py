"""Which stacks each make target deploys, per stage, read from the cloud assembly `make synth` writes."""
import json
import re

import pytest

from stacks.deploy_plan import DEPLOY, DEPLOY_QUICKSIGHT, TARGETS, checks, dependencies, main, plan
from stacks.quicksight_stack import ROW_RULES_SUFFIX
from tests.helpers import ROOT


@pytest.fixture(params=["dev", "prod", "ephemeral"])
def synth(request):
    return request.getfixturevalue(request.param)


def test_every_stack_is_deployed_by_exactly_one_target_after_its_dependencies(synth):
    directory = synth.assembly.directory
    targets = plan(directory)
    deployed = [stack for target in TARGETS for stack in targets[target]]
    assert sorted(deployed) == sorted(s.stack_name for s in synth.stacks.values()), "each stack once"
    for stack, needs in dependencies(directory).items():
        for dependency in needs:
            assert deployed.index(dependency) < deployed.index(stack), f"{stack} needs {dependency} first"


def test_make_deploy_holds_everything_a_fresh_account_can_create(synth):
    targets = plan(synth.assembly.directory)
    quicksight = synth.stacks.get("quicksight")
    # The governance stack grants to QuickSight's role: where both exist it deploys after it.
    governance = synth.stacks.get("governance") if quicksight else None
    assert targets[DEPLOY_QUICKSIGHT] == [s.stack_name for s in (quicksight, governance) if s]
    assert targets[DEPLOY] == [n for n in targets[DEPLOY] if not n.endswith("-quicksight")]
    assert (quicksight is not None) == synth.settings.quicksight.enabled


def quicksight_tables(synth) -> set[str]:
    template = synth.template_json("quicksight")
    return {
        table["RelationalTable"]["Name"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::QuickSight::DataSet"
        for table in resource["Properties"]["PhysicalTableMap"].values()
        if "RelationalTable" in table
    }


def test_quicksight_is_deployed_only_after_checking_what_cloudformation_cannot_create(prod):
    (check,) = checks(prod.assembly.directory, DEPLOY_QUICKSIGHT)
    assert check[0] == "check-quicksight"
    tables = {check[i + 1] for i, arg in enumerate(check) if arg == "--table"}
    # Every table a dataset reads (SPICE waits for its first import), the row rules table excepted:
    # the stack itself creates that one.
    assert {t for t in quicksight_tables(prod) if not t.endswith(ROW_RULES_SUFFIX)} <= tables and tables
    assert ("--no-manifest" in check) == (not prod.settings.quicksight.s3_source)
    assert checks(prod.assembly.directory, DEPLOY) == []


def test_the_plan_prints_what_the_makefile_reads(prod, capsys):
    main([prod.assembly.directory, "stacks", DEPLOY])
    assert capsys.readouterr().out.split() == plan(prod.assembly.directory)[DEPLOY]
    main([prod.assembly.directory, "check", DEPLOY_QUICKSIGHT])
    assert capsys.readouterr().out.strip().startswith("check-quicksight --table ")


def recipe(target: str) -> str:
    makefile = (ROOT / "Makefile").read_text()
    return re.search(rf"^{re.escape(target)}:.*\n((?:\t.*\n)+)", makefile, re.M).group(1)


def expanded(target: str) -> str:
    """The commands `make -n` would run for `target`, canned recipes expanded (cdk.out by default)."""
    import subprocess

    return subprocess.run(["make", "-n", "--no-print-directory", target], cwd=ROOT, capture_output=True, text=True, timeout=60).stdout


def test_the_makefile_deploys_the_plan_from_the_checked_assembly():
    deploy, quicksight, destroy = expanded("deploy"), expanded("deploy-quicksight"), expanded("destroy")
    plan = "-m stacks.deploy_plan cdk.out"
    assert re.search(rf"/cdk deploy --app cdk.out +\$\(\S+ {plan} stacks deploy\)", deploy)
    assert quicksight.index(f"{plan} check deploy-quicksight") < quicksight.index("/cdk deploy --app cdk.out --exclusively")
    assert "/cdk destroy --app cdk.out --all" in destroy
    assert re.search(r"^deploy: synth$", (ROOT / "Makefile").read_text(), re.M), "deploy what the gate just checked"
    assert "--all" not in recipe("synth"), "cdk synth has no --all"


def test_the_architecture_page_names_every_stack_the_code_makes_and_the_stages_plan(dev, prod):
    """docs/architecture.md's stack table (`<project>-<stage>-storage`, `-emr`, ...) lists exactly
    the stacks the code can make (one module stacks/<name>_stack.py each, whichever components a
    configuration switches on), and every stack dev and prod deploy, whichever target deploys them."""
    page = (ROOT / "docs" / "architecture.md").read_text()
    table = page[page.index("| stack | what it holds |"):].split("\n\n")[0]
    documented = {name.removeprefix("<project>-<stage>-").lstrip("-")
                  for cell in re.findall(r"^\| (.+?) \|", table, re.M)[1:] for name in re.findall(r"`([^`]+)`", cell)}
    assert documented == {module.stem.removesuffix("_stack") for module in (ROOT / "stacks").glob("*_stack.py")}
    planned = {name.removeprefix(f"{s.settings.prefix}-") for s in (dev, prod) for target in plan(s.assembly.directory).values() for name in target}
    assert planned <= documented
