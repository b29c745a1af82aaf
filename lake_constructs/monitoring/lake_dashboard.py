"""The stage's CloudWatch dashboard, from dashboard.json."""
import json
import re
from pathlib import Path
from typing import Mapping

from aws_cdk import Aws
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

DASHBOARD = Path(__file__).resolve().parent / "dashboard.json"
PLACEHOLDER = re.compile(r"\$\{([^}]+)\}")


def dashboard_body(available: set[str]) -> str:
    """dashboard.json as CloudWatch reads it, without the widgets whose `requires` is not `available`
    (the pipeline widgets when EMR is off). Widgets are laid out two per row in file order."""
    document = json.loads(DASHBOARD.read_text())
    widgets = []
    for widget in document["widgets"]:
        if widget.pop("requires", None) in (None, *available):
            index = len(widgets)
            widgets.append({**widget, "x": 12 * (index % 2), "y": 6 * (index // 2)})
    return json.dumps({**document, "widgets": widgets}, separators=(",", ":"))


def fill_placeholders(body: str, variables: Mapping[str, str]) -> str:
    """The body with each ${Name} replaced by its value (tokens included), and ${AWS::Region} by the stack's region."""
    values = {"AWS::Region": Aws.REGION, **variables}
    unknown = sorted({name for name in PLACEHOLDER.findall(body) if name not in values})
    if unknown:
        raise ValueError(f"{DASHBOARD.name}: unknown placeholders {', '.join(unknown)}; allowed: {', '.join(sorted(values))}")
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], body)


class LakeDashboard(Construct):
    """Pipeline runs and durations, failed steps, Athena bytes scanned and cost, crawler run
    times and the number of EMR clusters; `variables` fill the file's ${...} placeholders.

    The placeholders are filled with CDK tokens, so the body synthesizes as one Fn::Join: a value
    read from another stack (Fn::GetStackOutput) then sits in a Fn::Join, the first position
    CloudFormation accepted it in, not in a Fn::Sub variable map, which it accepted later and
    not in every region at once (docs/aws-rules-settled.md)."""

    def __init__(self, scope: Construct, id: str, *, name: str, variables: Mapping[str, str], available: set[str]) -> None:
        super().__init__(scope, id)
        self.body = dashboard_body(available)
        self.dashboard = cloudwatch.CfnDashboard(
            self, "Resource", dashboard_name=name, dashboard_body=fill_placeholders(self.body, variables)
        )
