"""The exact QuickSight actions the owner principal gets: full control, named one by one."""

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
