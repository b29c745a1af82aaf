"""The compliance gate: zero unacknowledged findings, and every acknowledgment earns its place."""
import re

import pytest
from aws_cdk import Stage, Validations

from lake_config.names import commercial_regions
from lake_config.studio_settings import STUDIO_REGIONS
from tests.helpers import CDK_CONTEXT

# Stacks of services that exist only in some regions: linted against those (the settings
# refuse a stage pinned elsewhere).
REGION_LIMITED = {"studio": STUDIO_REGIONS}

GENERIC_REASONS = re.compile(r"^(n/?a|ok|none|suppress(ed)?|not (needed|required|applicable)|false positive|todo|tbd|ignore)\W*$", re.I)


def findings(synth) -> list[str]:
    report = synth.validation_report or {"pluginReports": []}
    return [
        f"{violation['ruleName']} at {construct['constructPath']}"
        for plugin in report["pluginReports"]
        for violation in plugin["violations"]
        for construct in violation["violatingConstructs"]
    ]


def test_no_unacknowledged_findings_in_any_pack(stage):
    assert stage.validation_error is None and findings(stage) == [] and stage.findings == [], "\n".join(findings(stage))


def test_every_acknowledgment_has_a_specific_reason_on_a_narrow_construct(stage):
    assert stage.acknowledgments, "the gate reads acknowledgments from construct metadata"
    stacks = {stack.node.path for stack in stage.stacks.values()}
    for ack in stage.acknowledgments:
        assert len(ack.reason) >= 40 and not GENERIC_REASONS.match(ack.reason), f"{ack.path} {ack.rule}: vague reason {ack.reason!r}"
        assert ack.path not in stacks, f"{ack.rule} acknowledged on a whole stack ({ack.path})"
        assert ack.path.split("/", 1)[0] in stacks, f"{ack.rule} on {ack.path}, outside every stack"
        if ack.rule.startswith("AwsSolutions-IAM5"):
            assert re.fullmatch(r"AwsSolutions-IAM5\[(Action|Resource)::.+\]", ack.rule), f"blanket IAM5 on {ack.path}"
    # The app and its stages write no metadata into the assembly, where the gate reads acknowledgments.
    unseen = [stage.app, *(c for c in stage.app.node.children if Stage.is_stage(c))]
    on_unseen = [(c.node.path, e.data) for c in unseen for e in c.node.metadata if e.type == Validations.ACKNOWLEDGED_RULES_METADATA_KEY]
    assert on_unseen == [], f"acknowledged on the app or a stage, for everything under it: {on_unseen}"


def deployable_regions(settings, stack: str) -> list[str]:
    """The regions cfn-lint checks a stack for: those the stage can deploy to (its pinned region,
    else every commercial region: lake_config/names.py), narrowed for stacks of services that
    exist only in some regions. A region newer than the locked cfn-lint's data is left out (it
    refuses regions it does not know)."""
    from cfnlint.api import REGIONS

    regions = [settings.region] if settings.region else commercial_regions()
    return [r for r in regions if r in REGIONS and r in REGION_LIMITED.get(stack, regions)]


@pytest.mark.cfn_lint
def test_cfn_lint_reports_no_errors(stage):
    from cfnlint.api import ManualArgs, lint  # a second of imports, for the lint tests only

    errors = []
    for name, stack in stage.stacks.items():
        artifact = stage.assembly.get_stack_by_name(stack.stack_name)
        with open(artifact.template_full_path) as template:
            text = template.read()
        config = ManualArgs(regions=deployable_regions(stage.settings, name), include_experimental=True)
        errors += [f"{stack.stack_name}: {m.rule.id} {m.message}" for m in lint(text, config=config) if m.rule.id.startswith("E")]
    assert errors == []


def test_cfn_lint_checks_every_region_a_stage_can_deploy_to(dev):
    from cfnlint.api import REGIONS

    unpinned = dev.settings.model_copy(update={"region": None})
    assert set(deployable_regions(unpinned, "storage")) == {r for r in commercial_regions() if r in REGIONS}
    assert deployable_regions(dev.settings.model_copy(update={"region": "eu-west-1"}), "storage") == ["eu-west-1"]
    assert set(deployable_regions(unpinned, "studio")) <= set(STUDIO_REGIONS)


@pytest.mark.parametrize("broken, rule", [("no-tls", "AwsSolutions-S10"), ("unencrypted", "PCI.DSS.321-S3DefaultEncryptionKMS")])
def test_the_gate_catches_a_regression(tmp_path, broken, rule):
    """A bucket without the lake's controls must fail synth: the gate is live, not decorative."""
    import aws_cdk as cdk
    from aws_cdk import aws_s3 as s3

    from compliance import add_compliance_packs

    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Regression")
    s3.Bucket(stack, "Careless", enforce_ssl=broken != "no-tls", encryption=s3.BucketEncryption.UNENCRYPTED if broken == "unencrypted" else None)
    add_compliance_packs(app)
    with pytest.raises(RuntimeError, match=f"ValidationFailed: (.|\\n)*{re.escape(rule)}"):
        app.synth()


def gate(tmp_path, capsys, build) -> tuple[int, str, str]:
    import aws_cdk as cdk

    from compliance import add_compliance_packs, synth_through_the_gate

    # cdk.json's context, as the CLI gives the app: its feature flags decide what the report holds.
    app = cdk.App(outdir=str(tmp_path), context=CDK_CONTEXT)
    build(cdk.Stack(app, "Gate"))
    add_compliance_packs(app)
    code = synth_through_the_gate(app)
    return code, capsys.readouterr().err, (tmp_path / "compliance-summary.md").read_text()


def test_the_gate_counts_warnings_and_fails_on_them(tmp_path, capsys):
    """A construct warning does not fail app.synth(); the gate counts it from the report and fails.
    The stack holds a resource the packs pass, so that the warning is the only finding (an empty
    stack draws CloudFormation Validate's own warning, F0001)."""
    from aws_cdk import Annotations
    from aws_cdk import aws_ssm as ssm

    def build(stack):
        ssm.StringParameter(stack, "P", string_value="v")
        Annotations.of(stack).add_warning_v2("test:warning", "a warning nobody acknowledged")

    code, stderr, summary = gate(tmp_path, capsys, build)
    assert code == 1
    assert "compliance: 4 packs, 1 unacknowledged findings (0 errors, 1 warnings)" in stderr
    assert "compliance: synth fails on 1 unacknowledged findings" in stderr
    assert "1 unacknowledged findings (0 errors, 1 warnings), counted from validation-report.json" in summary
    assert "| warning | Gate |" in summary


def test_the_gate_counts_errors(tmp_path, capsys):
    from aws_cdk import aws_s3 as s3

    code, stderr, summary = gate(tmp_path, capsys, lambda stack: s3.Bucket(stack, "Careless"))
    errors = int(re.search(r"\((\d+) errors, 0 warnings\)", stderr).group(1))
    assert code == 1 and errors > 0
    assert f"({errors} errors, 0 warnings)" in summary


def test_the_gate_passes_only_when_the_report_is_clean(tmp_path, capsys):
    from aws_cdk import aws_ssm as ssm

    code, stderr, _ = gate(tmp_path, capsys, lambda stack: ssm.StringParameter(stack, "P", string_value="v"))
    assert code == 0 and "0 unacknowledged findings (0 errors, 0 warnings)" in stderr
