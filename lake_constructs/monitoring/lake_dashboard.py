"""The stage's CloudWatch dashboard, from dashboard.json."""
import json
from pathlib import Path
from typing import Mapping

from aws_cdk import Fn
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

DASHBOARD = Path(__file__).resolve().parent / "dashboard.json"


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


class LakeDashboard(Construct):
    """Pipeline runs and durations, failed steps, Athena bytes scanned and cost, crawler run
    times and the number of EMR clusters; `variables` fill the file's ${...} placeholders."""

    def __init__(self, scope: Construct, id: str, *, name: str, variables: Mapping[str, str], available: set[str]) -> None:
        super().__init__(scope, id)
        self.body = dashboard_body(available)
        used = {name: value for name, value in variables.items() if f"${{{name}}}" in self.body}
        self.dashboard = cloudwatch.CfnDashboard(self, "Resource", dashboard_name=name, dashboard_body=Fn.sub(self.body, used))
