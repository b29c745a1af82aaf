"""The exact QuickSight actions each principal gets, named one by one: owners have full control,
dashboard readers only view."""

# Named actions instead of "quicksight:*": a new QuickSight action is not granted by default.
DATA_SOURCE_OWNER_ACTIONS = (
    "quicksight:DescribeDataSource",
    "quicksight:DescribeDataSourcePermissions",
    "quicksight:PassDataSource",
    "quicksight:UpdateDataSource",
    "quicksight:UpdateDataSourcePermissions",
    "quicksight:DeleteDataSource",
)
DATA_SET_OWNER_ACTIONS = (
    "quicksight:DescribeDataSet",
    "quicksight:DescribeDataSetPermissions",
    "quicksight:PassDataSet",
    "quicksight:UpdateDataSet",
    "quicksight:UpdateDataSetPermissions",
    "quicksight:DeleteDataSet",
    "quicksight:DescribeIngestion",
    "quicksight:ListIngestions",
    "quicksight:CreateIngestion",
    "quicksight:CancelIngestion",
)


def owner_permissions(permission_type: type, principal: str, actions: tuple[str, ...]) -> list:
    """One `ResourcePermission` entry (`permission_type` is the L1's property class) for the owner."""
    return [permission_type(principal=principal, actions=list(actions))]
ANALYSIS_OWNER_ACTIONS = (
    "quicksight:DescribeAnalysis",
    "quicksight:DescribeAnalysisPermissions",
    "quicksight:QueryAnalysis",
    "quicksight:UpdateAnalysis",
    "quicksight:UpdateAnalysisPermissions",
    "quicksight:DeleteAnalysis",
    "quicksight:RestoreAnalysis",
)
DASHBOARD_OWNER_ACTIONS = (
    "quicksight:DescribeDashboard",
    "quicksight:ListDashboardVersions",
    "quicksight:QueryDashboard",
    "quicksight:UpdateDashboard",
    "quicksight:UpdateDashboardPublishedVersion",
    "quicksight:DescribeDashboardPermissions",
    "quicksight:UpdateDashboardPermissions",
    "quicksight:DeleteDashboard",
)
# Read-only: open the dashboard, run its visuals' queries, list its versions. What a reader may
# export (CSV) is a publish option of the dashboard, not a permission.
DASHBOARD_VIEWER_ACTIONS = (
    "quicksight:DescribeDashboard",
    "quicksight:ListDashboardVersions",
    "quicksight:QueryDashboard",
)
