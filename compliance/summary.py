"""A short, reviewable record of every finding, acknowledged or not, written next to the templates."""
import collections
import json
import sys
from pathlib import Path
from typing import NamedTuple

import aws_cdk as cdk
from aws_cdk import Validations

from compliance.packs import PACKS

REPORT = "validation-report.json"


class Acknowledged(NamedTuple):
    path: str
    rule: str
    reason: str


class Finding(NamedTuple):
    """One unacknowledged finding of the validation report: a pack's rule or a construct annotation."""

    path: str
    rule: str
    severity: str
    plugin: str


def acknowledgments(outdir: str | Path) -> list[Acknowledged]:
    """Every `Validations.of(x).acknowledge(...)` in the cloud assembly at `outdir`, with the
    path of the construct it sits on.

    Synthesis writes each construct's metadata into its stack's artifact, so this reads what
    the deployed templates were built with, in a few file reads; walking the construct tree
    instead costs thousands of jsii round trips (2-3 s of every synth). An acknowledgment on a
    construct outside every stack (the app, a stage) is not written there: the gate refuses
    those anyway (tests/compliance/test_nag_gate.py).
    """
    found, key = [], Validations.ACKNOWLEDGED_RULES_METADATA_KEY  # one jsii call, not one per entry
    manifest = json.loads((Path(outdir) / "manifest.json").read_text())
    for artifact in manifest["artifacts"].values():
        if artifact["type"] == "cdk:cloud-assembly":
            found += acknowledgments(Path(outdir) / artifact["properties"]["directoryName"])
            continue
        metadata = dict(artifact.get("metadata", {}))
        if extra := artifact.get("additionalMetadataFile"):
            for path, entries in json.loads((Path(outdir) / extra).read_text()).items():
                metadata[path] = [*metadata.get(path, []), *entries]
        for path, entries in metadata.items():
            for entry in entries:
                if entry["type"] == key:
                    for rule, reason in entry["data"].items():
                        found.append(Acknowledged(path.lstrip("/"), rule.removeprefix("Annotation::"), reason))
    return found


def unacknowledged_findings(outdir: str | Path) -> list[Finding]:
    """Every violation in `<outdir>/validation-report.json`, errors and warnings alike, per construct."""
    path = Path(outdir) / REPORT
    report = json.loads(path.read_text()) if path.exists() else {"pluginReports": []}
    return [
        Finding(construct["constructPath"], violation["ruleName"].removeprefix("Annotation::"), violation.get("severity", "error"), plugin["pluginName"])
        for plugin in report["pluginReports"]
        for violation in plugin["violations"]
        for construct in violation.get("violatingConstructs") or violation.get("violatingResources") or [{"constructPath": "?"}]
    ]


def write_compliance_summary(outdir: str) -> list[Finding]:
    """Writes `<outdir>/compliance-summary.md`, prints its headline to stderr, returns the unacknowledged findings."""
    acks = acknowledgments(outdir)
    findings = unacknowledged_findings(outdir)
    by_rule = collections.Counter(ack.rule.split("[")[0] for ack in acks)
    severities = collections.Counter(finding.severity for finding in findings)
    counted = f"{len(findings)} unacknowledged findings ({severities['error']} errors, {severities['warning']} warnings)"
    lines = [
        "# Compliance summary",
        "",
        f"Packs: {', '.join(pack.__name__ for pack in PACKS)}. {counted[0].upper()}{counted[1:]}, "
        f"counted from {REPORT}; any fails `make synth`.",
        f"Acknowledged findings: {len(acks)}.",
        "",
        *(
            ["| unacknowledged | severity | construct |", "|---|---|---|", *(f"| {f.rule} | {f.severity} | {f.path} |" for f in sorted(findings)), ""]
            if findings
            else []
        ),
        "| rule | count |",
        "|---|---|",
        *(f"| {rule} | {count} |" for rule, count in sorted(by_rule.items())),
        "",
        "| construct | finding | reason |",
        "|---|---|---|",
        *(f"| {ack.path} | {ack.rule} | {ack.reason} |" for ack in sorted(acks)),
    ]
    path = Path(outdir) / "compliance-summary.md"
    path.write_text("\n".join(lines) + "\n")
    print(
        f"compliance: {len(PACKS)} packs, {counted}, {len(acks)} acknowledged "
        f"across {len(by_rule)} rules; details in {path}",
        file=sys.stderr,
    )
    return findings


def synth_through_the_gate(app: cdk.App) -> int:
    """Synthesizes `app`, writes the summary, and returns the exit code: 1 on any unacknowledged finding.

    cdk-nag errors make `app.synth()` raise; warnings (pack rules of warning level, construct
    annotations) do not, so both are counted from the validation report here.
    """
    try:
        app.synth()
        failure = None
    except RuntimeError as error:  # the validation report is written all the same
        failure = error
    findings = write_compliance_summary(app.outdir)
    if failure is not None and not findings:
        raise failure
    if findings:
        print(f"compliance: synth fails on {len(findings)} unacknowledged findings (see {Path(app.outdir) / REPORT})", file=sys.stderr)
        return 1
    return 0
