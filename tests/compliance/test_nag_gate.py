"""The compliance gate: zero unacknowledged findings, and every acknowledgment earns its place."""
import re

import pytest
from aws_cdk import Stack, Stage
from cfnlint.api import ManualArgs, lint, lint_all

from lake_config.studio_settings import STUDIO_REGIONS

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
    assert stage.validation_error is None and findings(stage) == [], "\n".join(findings(stage))


def test_every_acknowledgment_has_a_specific_reason_on_a_narrow_construct(stage):
    assert stage.acknowledgments, "the gate reads acknowledgments from construct metadata"
    by_path = {construct.node.path: construct for construct in stage.app.node.find_all()}
    for ack in stage.acknowledgments:
        assert len(ack.reason) >= 40 and not GENERIC_REASONS.match(ack.reason), f"{ack.path} {ack.rule}: vague reason {ack.reason!r}"
        construct = by_path[ack.path]
        assert not isinstance(construct, (Stack, Stage)), f"{ack.rule} acknowledged on a whole stack ({ack.path})"
        if ack.rule.startswith("AwsSolutions-IAM5"):
            assert re.fullmatch(r"AwsSolutions-IAM5\[(Action|Resource)::.+\]", ack.rule), f"blanket IAM5 on {ack.path}"


def test_cfn_lint_reports_no_errors(stage):
    errors = []
    for name, stack in stage.stacks.items():
        artifact = stage.assembly.get_stack_by_name(stack.stack_name)
        with open(artifact.template_full_path) as template:
            text = template.read()
        regions = REGION_LIMITED.get(name)
        matches = lint(text, config=ManualArgs(regions=list(regions))) if regions else lint_all(text)
        errors += [f"{stack.stack_name}: {m.rule.id} {m.message}" for m in matches if m.rule.id.startswith("E")]
    assert errors == []


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
