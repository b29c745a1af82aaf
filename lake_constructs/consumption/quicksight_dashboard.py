"""An analysis and its published dashboard from one definition file in the repository."""
from typing import Mapping

from aws_cdk import Aws
from aws_cdk import aws_quicksight as quicksight
from constructs import Construct

from lake_config.dashboard_definitions import DashboardDefinition
from lake_constructs.consumption.quicksight_permissions import (
    ANALYSIS_OWNER_ACTIONS,
    DASHBOARD_OWNER_ACTIONS,
    DASHBOARD_VIEWER_ACTIONS,
)
from lake_constructs.shared.source_version import source_version

# QuickSight refuses a definition with any error instead of creating a broken analysis.
VALIDATION = {"Mode": "STRICT"}


def _switch(enabled: bool) -> dict:
    return {"AvailabilityStatus": "ENABLED" if enabled else "DISABLED"}


class QuickSightDashboard(Construct):
    """`AWS::QuickSight::Analysis` and `AWS::QuickSight::Dashboard` sharing one definition.

    Secures: the analysis (where the console edits happen) belongs to `owner` alone, with
    ANALYSIS_OWNER_ACTIONS; the dashboard gives `owner` DASHBOARD_OWNER_ACTIONS (to publish
    over it from the analysis) and `readers` exactly DASHBOARD_VIEWER_ACTIONS: readers open
    the dashboard and query its visuals, they do not get the analysis, the datasets or the data
    sources. Export to CSV and the hidden fields' export are off unless `export_to_csv`.

    The definition comes from the repository file as CloudFormation-cased JSON and is set as a
    property override: the typed L1 properties would need the definition rebuilt from hundreds
    of nested Python property classes, and the file would then no longer be what
    `DescribeAnalysisDefinition` returns, which is what makes the console round-trip a diff.
    cfn-lint checks the result against CloudFormation's schema (tests). `data_set_arns` maps
    each dataset name the definition reads to its data set's ARN.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        dashboard: DashboardDefinition,
        analysis_id: str,
        dashboard_id: str,
        name: str,
        data_set_arns: Mapping[str, str],
        owner: str,
        readers: str | None = None,
        export_to_csv: bool = False,
        ml_insights: bool = True,
    ) -> None:
        super().__init__(scope, id)
        self.analysis = quicksight.CfnAnalysis(
            self,
            "Analysis",
            aws_account_id=Aws.ACCOUNT_ID,
            analysis_id=analysis_id,
            name=name,
            permissions=[quicksight.CfnAnalysis.ResourcePermissionProperty(principal=owner, actions=list(ANALYSIS_OWNER_ACTIONS))],
        )
        self.analysis.add_property_override("Definition", dashboard.for_analysis(data_set_arns, ml_insights))
        self.analysis.add_property_override("ValidationStrategy", VALIDATION)

        permissions = [quicksight.CfnDashboard.ResourcePermissionProperty(principal=owner, actions=list(DASHBOARD_OWNER_ACTIONS))]
        if readers:
            permissions.append(quicksight.CfnDashboard.ResourcePermissionProperty(principal=readers, actions=list(DASHBOARD_VIEWER_ACTIONS)))
        self.dashboard = quicksight.CfnDashboard(
            self,
            "Dashboard",
            aws_account_id=Aws.ACCOUNT_ID,
            dashboard_id=dashboard_id,
            name=name,
            permissions=permissions,
            version_description=source_version(dashboard.path),
        )
        self.dashboard.add_property_override("Definition", dashboard.for_dashboard(data_set_arns, ml_insights))
        self.dashboard.add_property_override("ValidationStrategy", VALIDATION)
        self.dashboard.add_property_override(
            "DashboardPublishOptions",
            {
                "ExportToCSVOption": _switch(export_to_csv),
                "ExportWithHiddenFieldsOption": _switch(False),
                "SheetControlsOption": {"VisibilityState": "EXPANDED"},
                "AdHocFilteringOption": _switch(True),
            },
        )
        self.dashboard_id = dashboard_id
        self.analysis_id = analysis_id
