"""Lake Formation governance of a stage (governance.mode hybrid or lake_formation; docs/governance.md)."""
from __future__ import annotations

from aws_cdk import Acknowledgment, Stack, Validations
from aws_cdk import aws_iam as iam
from constructs import Construct

from compliance.finding_ids import iam5_resource
from lake_config import LakeSettings
from lake_config.governance_plan import readable_classifications, tag_keys
from lake_constructs.governance.data_lake_administrators import DataLakeAdministrators
from lake_constructs.governance.grants import grant_all_tables, grant_database, grant_table, grant_tag_expression
from lake_constructs.governance.lf_tags import ContractTags
from lake_constructs.governance.registered_location import RegisteredLocation
from lake_constructs.shared.discovery_parameters import Discovery
from stacks.catalog_stack import CatalogStack, construct_id
from stacks.storage_stack import StorageStack, import_lake_bucket

# What each principal does to a table, as Lake Formation permissions ("Lake Formation permissions
# reference", Lake Formation Developer Guide): DESCRIBE to read a definition, SELECT to read data
# and partitions, INSERT and ALTER to add and update partitions.
READ = ("DESCRIBE", "SELECT")
CURATE = ("ALTER", "DESCRIBE", "INSERT", "SELECT")
CRAWL_DATABASE = ("CREATE_TABLE", "DESCRIBE")


class GovernanceStack(Stack):
    """The account's data lake administrators (appended), the raw and curated buckets registered
    with Lake Formation through a dedicated role, the contracts' LF-tags on the catalog, and the
    grants each principal of the lake needs, derived from the dataset declarations.

    Deployed after the catalog, EMR and QuickSight stacks (it grants to their roles and tags their
    tables). Secures: in hybrid mode the opted-in consumers (analysts, QuickSight) read only the
    columns their classification grants allow; in lake_formation mode every principal reads only
    what it is granted here. Every role granted here gets `lakeformation:GetDataAccess`, which Lake
    Formation checks before vending credentials ("Underlying data access control").
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        settings: LakeSettings,
        storage: StorageStack,
        catalog: CatalogStack,
        emr=None,
        quicksight=None,
        interactive=None,
        **kwargs,
    ) -> None:
        super().__init__(scope, id, **kwargs)
        for stack in (storage, catalog, emr, quicksight, interactive):
            if stack is not None:
                self.add_stack_dependency(stack)
        governance = settings.governance
        self.grants: list = []
        self.administrators = None
        if governance.manage_data_lake_settings:
            self.administrators = DataLakeAdministrators(
                self, "Administrators", admins=governance.admin_arns(self.account), include_cdk_execution_role=governance.cdk_execution_role_is_admin
            )
        hybrid = governance.mode == "hybrid"
        self.locations = {
            zone: RegisteredLocation(self, f"{zone.capitalize()}Location", bucket=import_lake_bucket(self, settings, zone), key=storage.key, hybrid=hybrid)
            for zone in ("raw", "curated")
        }
        self.lf_tags = ContractTags(self, "Tags", settings=settings)
        self._after_settings(*self.lf_tags.tags.values(), *(location.resource for location in self.locations.values()))
        raw, curated = catalog.raw_database_name, catalog.curated_database_name
        self._after_settings(self.lf_tags.tag_database("RawDatabaseTags", raw), self.lf_tags.tag_database("CuratedDatabaseTags", curated))
        for dataset in settings.datasets:
            self._after_settings(*self.lf_tags.tag_dataset(f"{construct_id(dataset.name)}Tags", dataset, curated))

        roles: list[iam.IRole] = []
        for dataset in settings.datasets:
            id = construct_id(dataset.name)
            entry = catalog.datasets[dataset.name]
            crawler = entry.raw_crawler.role
            roles += [crawler, entry.ruleset.role]
            self._grant(self.locations["raw"].grant_data_location(self, f"{id}CrawlerLocation", crawler.role_arn, dataset.raw_prefix))
            self._grant(grant_database(self, f"{id}CrawlerDatabase", crawler.role_arn, raw, CRAWL_DATABASE))
            # Crawlers create their tables: the table does not exist when this is deployed.
            self._grant(grant_all_tables(self, f"{id}CrawlerTables", crawler.role_arn, raw, CURATE))
            quality = entry.ruleset.role.role_arn
            self._grant(grant_database(self, f"{id}QualityDatabase", quality, curated, ["DESCRIBE"]))
            self._grant(grant_table(self, f"{id}QualityTable", quality, curated, dataset.table, READ))
        if emr is not None:
            curation = emr.roles.instance_role
            roles.append(curation)
            self._grant(grant_database(self, "CurationDatabase", curation.role_arn, curated, ["DESCRIBE"]))
            for dataset in settings.datasets:
                id = construct_id(dataset.name)
                self._grant(self.locations["curated"].grant_data_location(self, f"{id}CurationLocation", curation.role_arn, dataset.curated_prefix))
                self._grant(grant_table(self, f"{id}CurationTable", curation.role_arn, curated, dataset.table, CURATE))
        if interactive is not None:
            notebooks = interactive.cluster.roles.runtime_role
            roles.append(notebooks)
            self._grant(grant_database(self, "NotebooksDatabase", notebooks.role_arn, curated, ["DESCRIBE"]))
            for dataset in settings.datasets:
                self._grant(grant_table(self, f"{construct_id(dataset.name)}NotebooksTable", notebooks.role_arn, curated, dataset.table, READ))

        consumers = {}
        if quicksight is not None:
            consumers["quicksight"] = quicksight.access_role.role
            roles.append(quicksight.access_role.role)
        if analysts := governance.analysts_arn(self.account):
            consumers["analysts"] = analysts
        keys = tag_keys(settings)
        for consumer, principal in consumers.items():
            arn = principal if isinstance(principal, str) else principal.role_arn
            name = consumer.capitalize()
            self._grant(grant_database(self, f"{name}Database", arn, curated, ["DESCRIBE"]))
            # The dataset key keeps raw tables (crawled, untagged but for the database's default) out.
            expression = {keys.dataset: [d.name for d in settings.datasets], keys.classification: readable_classifications(settings, consumer)}
            self._grant(grant_tag_expression(self, f"{name}Tables", arn, "TABLE", expression, READ))
        if quicksight is not None and settings.quicksight.row_level_security.enabled:
            from stacks.quicksight_stack import row_rules_table

            for table in (row_rules_table(settings.dataset(name)) for name in settings.quicksight.row_level_security.columns):
                self._grant(grant_table(self, f"QuickSight{construct_id(table)}", quicksight.access_role.role.role_arn, curated, table, READ))

        access = iam.ManagedPolicy(
            self,
            "DataAccess",
            description="Lake Formation credential vending for the lake's governed principals.",
            roles=roles,
            statements=[iam.PolicyStatement(actions=["lakeformation:GetDataAccess"], resources=["*"])],
        )
        Validations.of(access).acknowledge(
            Acknowledgment(
                id=iam5_resource(self, "*"),
                reason="lakeformation:GetDataAccess has no resource type (Service Authorization Reference, AWS Lake Formation); "
                "Lake Formation's own grants decide which tables it vends credentials for.",
            )
        )
        discovery = Discovery(self, "Discovery", ssm_prefix=settings.ssm_prefix, section="governance")
        discovery.publish("mode", governance.mode, "Permission model of the stage (iam, hybrid, lake_formation)")
        discovery.publish("classification-tag", keys.classification, "LF-tag key of the columns' classification")
        discovery.publish("restricted-classifications", ",".join(governance.restricted_classifications), "Classifications hidden from consumers")
        # The consumers whose column access Lake Formation decides: in hybrid mode once a data lake
        # administrator opts them in (CloudFormation has no opt-in resource; docs/governance.md).
        governed = [p if isinstance(p, str) else p.role_arn for p in consumers.values()]
        discovery.publish("governed-consumers", ",".join(governed) or "none", "Consumers Lake Formation governs (hybrid: once opted in)")

    def _after_settings(self, *resources) -> None:
        """Grants and tags are made by CloudFormation's role, an administrator only once the settings exist."""
        for resource in resources:
            if self.administrators is not None:
                resource.node.add_dependency(self.administrators.settings)

    def _grant(self, grant) -> None:
        self._after_settings(grant)
        self.grants.append(grant)
