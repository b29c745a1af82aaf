"""Wires the stacks of one stage together."""
from aws_cdk import App, Environment, Tags

from lake_config import LakeSettings
from stacks.analytics import AnalyticsStack
from stacks.catalog import CatalogStack
from stacks.storage import StorageStack


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
    for stack in stacks.values():
        Tags.of(stack).add("project", settings.project)
        Tags.of(stack).add("stage", settings.stage)
    return stacks
