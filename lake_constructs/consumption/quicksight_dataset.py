"""A QuickSight dataset over one Glue table of the lake, read through the Athena data source."""
from aws_cdk import Acknowledgment, Aws, Validations
from aws_cdk import aws_quicksight as quicksight
from constructs import Construct

from lake_config.quicksight_settings import RefreshSettings
from lake_constructs.consumption.quicksight_access_role import ATHENA_CATALOG
from lake_constructs.consumption.quicksight_columns import FieldType
from lake_constructs.consumption.quicksight_permissions import DATA_SET_OWNER_ACTIONS, owner_permissions

PHYSICAL_TABLE = "table"


class AthenaTableDataSet(Construct):
    """`database.table` as a dataset with declared column types, in SPICE or direct-query mode.

    Secures: the data is reached only through `data_source_arn` (its run-as role and
    workgroup); column types are declared here and reviewed in code, not taken from
    whatever the crawler inferred; only `owner` holds permissions on the dataset, exactly
    DATA_SET_OWNER_ACTIONS (readers get access when the owner shares it); with
    `row_level_permissions_arn`, readers see only the rows a rule grants them (GRANT_ACCESS:
    no rule, no rows). `renames` maps catalog column names (always lower case)
    to dataset field names. `refresh` schedules SPICE imports; in DIRECT_QUERY mode every
    visual queries Athena, so there is nothing to schedule and `refresh` is ignored.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        data_set_id: str,
        name: str,
        data_source_arn: str,
        database: str,
        table: str,
        columns: dict[str, FieldType],
        import_mode: str,
        owner: str,
        renames: dict[str, str] | None = None,
        use_as: str | None = None,
        row_level_permissions_arn: str | None = None,
        refresh: RefreshSettings | None = None,
    ) -> None:
        super().__init__(scope, id)
        spice = import_mode == "SPICE"
        self.data_set = quicksight.CfnDataSet(
            self,
            "DataSet",
            aws_account_id=Aws.ACCOUNT_ID,
            data_set_id=data_set_id,
            name=name,
            import_mode=import_mode,
            use_as=use_as,
            physical_table_map={
                PHYSICAL_TABLE: quicksight.CfnDataSet.PhysicalTableProperty(
                    relational_table=quicksight.CfnDataSet.RelationalTableProperty(
                        data_source_arn=data_source_arn,
                        catalog=ATHENA_CATALOG,
                        schema=database,
                        name=table,
                        input_columns=[_input_column(column, field, spice) for column, field in columns.items()],
                    )
                )
            },
            logical_table_map=_renamed(table, renames) if renames else None,
            row_level_permission_data_set=quicksight.CfnDataSet.RowLevelPermissionDataSetProperty(
                arn=row_level_permissions_arn, permission_policy="GRANT_ACCESS", format_version="VERSION_1"
            )
            if row_level_permissions_arn
            else None,
            # A failed first import (no access, no table) fails the deployment, where it is seen.
            ingestion_wait_policy=quicksight.CfnDataSet.IngestionWaitPolicyProperty(
                wait_for_spice_ingestion=True, ingestion_wait_time_in_hours=1
            )
            if spice
            else None,
            permissions=owner_permissions(quicksight.CfnDataSet.ResourcePermissionProperty, owner, DATA_SET_OWNER_ACTIONS),
        )
        # CloudFormation Validate warns (W9009) about these two; they stay until their successors are verified.
        uses = {"LogicalTableMap": renames, "RowLevelPermissionDataSet": row_level_permissions_arn}
        deprecated = [name for name, used in uses.items() if used]
        if deprecated:
            Validations.of(self.data_set).acknowledge(
                Acknowledgment(
                    id="CloudFormation-Validate::W9009",
                    reason=f"Deprecated but supported {' and '.join(deprecated)}: row-level security is set up the "
                    "documented way; the successors (DataPrepConfiguration, SemanticModelConfiguration) are newer "
                    "and not yet verified by this project with rules datasets.",
                )
            )
        self.arn = self.data_set.attr_arn
        self.refresh_schedule = _refresh_schedule(self, data_set_id, refresh) if spice and refresh else None
        if self.refresh_schedule:
            self.refresh_schedule.add_resource_dependency(self.data_set)


def _renamed(table: str, renames: dict[str, str]) -> dict:
    return {
        PHYSICAL_TABLE: quicksight.CfnDataSet.LogicalTableProperty(
            alias=table,
            source=quicksight.CfnDataSet.LogicalTableSourceProperty(physical_table_id=PHYSICAL_TABLE),
            data_transforms=[
                quicksight.CfnDataSet.TransformOperationProperty(
                    rename_column_operation=quicksight.CfnDataSet.RenameColumnOperationProperty(column_name=old, new_column_name=new)
                )
                for old, new in renames.items()
            ],
        )
    }


def _input_column(name: str, field: FieldType, spice: bool) -> quicksight.CfnDataSet.InputColumnProperty:
    # QuickSight takes a sub-type (FIXED for money, FLOAT for doubles) only in SPICE.
    return quicksight.CfnDataSet.InputColumnProperty(name=name, type=field.type, sub_type=field.sub_type if spice else None)


def _refresh_schedule(scope: Construct, data_set_id: str, refresh: RefreshSettings) -> quicksight.CfnRefreshSchedule:
    on_day = (
        quicksight.CfnRefreshSchedule.RefreshOnDayProperty(
            day_of_week=refresh.day_of_week, day_of_month=str(refresh.day_of_month) if refresh.day_of_month else None
        )
        if refresh.day_of_week or refresh.day_of_month
        else None
    )
    return quicksight.CfnRefreshSchedule(
        scope,
        "RefreshSchedule",
        aws_account_id=Aws.ACCOUNT_ID,
        data_set_id=data_set_id,
        schedule=quicksight.CfnRefreshSchedule.RefreshScheduleMapProperty(
            schedule_id="scheduled-full-refresh",
            refresh_type="FULL_REFRESH",
            schedule_frequency=quicksight.CfnRefreshSchedule.ScheduleFrequencyProperty(
                interval=refresh.interval,
                # Hourly refreshes run every hour; a time of day applies to the others only.
                time_of_the_day=None if refresh.interval == "HOURLY" else refresh.time_of_day,
                time_zone=refresh.timezone,
                refresh_on_day=on_day,
            ),
        ),
    )
