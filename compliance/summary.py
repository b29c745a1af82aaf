"""A short, reviewable record of every acknowledged finding, written next to the templates."""
import collections
import sys
from pathlib import Path
from typing import NamedTuple

from aws_cdk import Validations
from constructs import IConstruct

from compliance.packs import PACKS


class Acknowledged(NamedTuple):
    path: str
    rule: str
    reason: str


def acknowledgments(root: IConstruct) -> list[Acknowledged]:
    """Every `Validations.of(x).acknowledge(...)` under `root`, with the construct it sits on."""
    found = []
    for construct in root.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                for rule, reason in entry.data.items():
                    found.append(Acknowledged(construct.node.path, rule.removeprefix("Annotation::"), reason))
    return found


def write_compliance_summary(root: IConstruct, outdir: str) -> Path:
    """Writes `<outdir>/compliance-summary.md` and prints its headline to stderr."""
    acks = acknowledgments(root)
    by_rule = collections.Counter(ack.rule.split("[")[0] for ack in acks)
    lines = [
        "# Compliance summary",
        "",
        f"Packs: {', '.join(pack.__name__ for pack in PACKS)}. Unacknowledged findings: 0 (any would have failed synth).",
        f"Acknowledged findings: {len(acks)}.",
        "",
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
        f"compliance: {len(PACKS)} packs, 0 unacknowledged findings, {len(acks)} acknowledged "
        f"across {len(by_rule)} rules; details in {path}",
        file=sys.stderr,
    )
    return path
