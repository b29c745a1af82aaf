"""The stage's LF-tags, made from the data contracts, and their attachment to the catalog."""
from aws_cdk import Aws
from aws_cdk import aws_lakeformation as lakeformation
from constructs import Construct

from lake_config import LakeSettings
from lake_config.datasets import Dataset
from lake_config.governance_plan import domain, explicitly_classified, tag_keys, tag_values

Pair = lakeformation.CfnTagAssociation.LFTagPairProperty


class ContractTags(Construct):
    """One LF-tag per contract field that decides access: `<prefix>-classification` (ODCS
    `classification` of each column), `<prefix>-domain` (the contract's `domain`) and
    `<prefix>-dataset`, with the values the stage's contracts declare.

    Secures: access follows the contracts, not a hand-kept list: a column a contract classifies
    as restricted carries that tag and is left out of every tag-expression grant that does not
    name it. Databases carry the default classification, which their tables and columns inherit
    unless they carry their own value ("Lake Formation tag-based access control", Lake Formation
    Developer Guide); each declared curated table carries its dataset and domain; a new dataset
    gets its tags from its contract. Keys carry the stage prefix: LF-tags are one namespace per
    account's catalog. LF-tags cannot be attached at creation ("You can only add LF-Tags to
    existing resources"), so each association depends on the table it tags.
    """

    def __init__(self, scope: Construct, id: str, *, settings: LakeSettings) -> None:
        super().__init__(scope, id)
        self._settings = settings
        self.keys = tag_keys(settings)
        self.tags = {
            key: lakeformation.CfnTag(self, key.removeprefix(f"{settings.prefix}-").capitalize(), catalog_id=Aws.ACCOUNT_ID, tag_key=key, tag_values=list(values))
            for key, values in tag_values(settings).items()
        }

    def _pair(self, key: str, value: str) -> Pair:
        return Pair(catalog_id=Aws.ACCOUNT_ID, tag_key=key, tag_values=[value])

    def _associate(self, id: str, pairs: list[Pair], resource) -> lakeformation.CfnTagAssociation:
        association = lakeformation.CfnTagAssociation(self, id, lf_tags=pairs, resource=resource)
        for pair in pairs:
            association.node.add_dependency(self.tags[pair.tag_key])
        return association

    def tag_database(self, id: str, database: str) -> lakeformation.CfnTagAssociation:
        return self._associate(
            id,
            [self._pair(self.keys.classification, self._settings.governance.default_classification)],
            lakeformation.CfnTagAssociation.ResourceProperty(
                database=lakeformation.CfnTagAssociation.DatabaseResourceProperty(catalog_id=Aws.ACCOUNT_ID, name=database)
            ),
        )

    def tag_dataset(self, id: str, dataset: Dataset, database: str) -> list[lakeformation.CfnTagAssociation]:
        """The curated table's dataset and domain, and each column classified otherwise than the default."""
        table = lakeformation.CfnTagAssociation.ResourceProperty(
            table=lakeformation.CfnTagAssociation.TableResourceProperty(catalog_id=Aws.ACCOUNT_ID, database_name=database, name=dataset.table)
        )
        associations = [
            self._associate(
                f"{id}Table",
                [self._pair(self.keys.dataset, dataset.name), self._pair(self.keys.domain, domain(self._settings, dataset))],
                table,
            )
        ]
        for value, columns in explicitly_classified(self._settings, dataset).items():
            columns_resource = lakeformation.CfnTagAssociation.ResourceProperty(
                table_with_columns=lakeformation.CfnTagAssociation.TableWithColumnsResourceProperty(
                    catalog_id=Aws.ACCOUNT_ID, database_name=database, name=dataset.table, column_names=list(columns)
                )
            )
            associations.append(self._associate(f"{id}{value.replace('-', '_').title().replace('_', '')}Columns", [self._pair(self.keys.classification, value)], columns_resource))
        return associations
