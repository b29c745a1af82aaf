"""Wires the stacks of one stage together."""
from aws_cdk import App, Environment, Tags

from lake_config import LakeSettings
from stacks.deploy_plan import DEPLOY, DEPLOY_QUICKSIGHT, assign
from stacks.analytics_stack import AnalyticsStack
from stacks.catalog_stack import CatalogStack
from stacks.emr_stack import EmrStack
from stacks.interactive_stack import InteractiveStack
from stacks.monitoring_stack import MonitoringStack
from stacks.network_stack import NetworkStack
from stacks.pipeline_stack import PipelineStack
from stacks.storage_stack import StorageStack
from stacks.studio_stack import StudioStack


def build_stacks(app: App, settings: LakeSettings) -> dict:
    """Creates every stack of `settings.stage`; returns them by short name."""
    common = dict(
        env=Environment(account=settings.account, region=settings.region),
        termination_protection=settings.termination_protection,
    )

    def name(part: str) -> str:
        return f"{settings.prefix}-{part}"

    storage = StorageStack(app, name("storage"), settings=settings, **common)
    catalog = CatalogStack(app, name("catalog"), settings=settings, storage=storage, **common)
    analytics = AnalyticsStack(app, name("analytics"), settings=settings, storage=storage, catalog=catalog, **common)
    stacks = {"storage": storage, "catalog": catalog, "analytics": analytics}
    if settings.quicksight.enabled:
        # Imported only by the stages that build it: loading aws_quicksight's classes alone is
        # about 0.13 s of every synth.
        from stacks.quicksight_stack import QuickSightStack

        stacks["quicksight"] = QuickSightStack(
            app, name("quicksight"), settings=settings, storage=storage, catalog=catalog, analytics=analytics, **common
        )
        # Not in `make deploy`: it needs what CloudFormation cannot create (README, "Deployment order").
        tables = [arg for dataset in settings.datasets for arg in ("--table", dataset.table)]
        check = ["check-quicksight", *tables, *([] if settings.quicksight.s3_source else ["--no-manifest"])]
        assign(stacks["quicksight"], DEPLOY_QUICKSIGHT, check)
    if settings.emr.enabled:
        network = None
        if not settings.network.vpc_id:  # otherwise the cluster joins that existing VPC
            network = stacks["network"] = NetworkStack(app, name("network"), settings=settings, storage=storage, **common)
        stacks["emr"] = EmrStack(app, name("emr"), settings=settings, storage=storage, catalog=catalog, network=network, **common)
        if settings.studio.enabled:  # the settings refuse Studio without EMR
            stacks["studio"] = StudioStack(app, name("studio"), settings=settings, storage=storage, network=network, **common)
            stacks["interactive"] = InteractiveStack(
                app, name("interactive"), settings=settings, storage=storage, catalog=catalog, network=network, emr=stacks["emr"], **common
            )
        stacks["pipeline"] = PipelineStack(
            app, name("pipeline"), settings=settings, storage=storage, catalog=catalog, emr=stacks["emr"], **common
        )
    if settings.governance.governed:
        from stacks.governance_stack import GovernanceStack

        stacks["governance"] = GovernanceStack(
            app, name("governance"), settings=settings, storage=storage, catalog=catalog, emr=stacks.get("emr"),
            quicksight=stacks.get("quicksight"), interactive=stacks.get("interactive"), **common
        )
    stacks["monitoring"] = MonitoringStack(
        app,
        name("monitoring"),
        settings=settings,
        storage=storage,
        analytics=analytics,
        quicksight_stack=stacks.get("quicksight"),
        emr=stacks.get("emr"),
        pipeline=stacks.get("pipeline"),
        **common,
    )
    # The governance stack grants to QuickSight's role, so where QuickSight is on it deploys after it, with it.
    with_quicksight = {"quicksight", "governance"} & set(stacks) if "quicksight" in stacks else set()
    for name, stack in stacks.items():
        if name == "governance" and name in with_quicksight:
            assign(stack, DEPLOY_QUICKSIGHT)
        elif name not in with_quicksight:
            assign(stack, DEPLOY)
        Tags.of(stack).add("project", settings.project)
        Tags.of(stack).add("stage", settings.stage)
    return stacks
