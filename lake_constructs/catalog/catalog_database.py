"""A Glue database of the lake, by name, as a grantor of exact rights on its tables."""
from typing import Iterable

from aws_cdk import aws_iam as iam

from lake_constructs.shared.arns import regional_arn

# What reading a table takes (Glue Developer Guide, "Specifying AWS Glue resource ARNs": each call
# is authorized against the catalog, the database and the table).
READ_TABLE = ["glue:GetDatabase", "glue:GetTable", "glue:GetPartition", "glue:GetPartitions", "glue:BatchGetPartition"]
# Listing them too, as a notebook's `SHOW DATABASES` / `SHOW TABLES` does.
BROWSE = ["glue:GetDatabases", "glue:GetTables"]
WRITE_PARTITIONS = ["glue:CreatePartition", "glue:BatchCreatePartition", "glue:UpdatePartition", "glue:BatchUpdatePartition"]


class CatalogDatabase:
    """`name` in this account's and region's Data Catalog. CloudFormation owns the tables (their
    schema is the contract's): grantees read them, and writers only register partitions."""

    def __init__(self, name: str) -> None:
        self.name = name

    def table_arn(self, table: str) -> str:
        return regional_arn("glue", f"table/{self.name}/{table}")

    def grant_read(self, grantee: iam.IGrantable, tables: Iterable[str], *, browse: bool = False) -> iam.Grant:
        return self._grant(grantee, READ_TABLE + (BROWSE if browse else []), tables)

    def grant_write_partitions(self, grantee: iam.IGrantable, tables: Iterable[str]) -> iam.Grant:
        """Add and update the partitions of `tables`; nothing else of them changes."""
        return self._grant(grantee, WRITE_PARTITIONS, tables)

    def _grant(self, grantee: iam.IGrantable, actions: list[str], tables: Iterable[str]) -> iam.Grant:
        resources = [regional_arn("glue", "catalog"), regional_arn("glue", f"database/{self.name}"), *map(self.table_arn, tables)]
        return iam.Grant.add_to_principal(grantee=grantee, actions=actions, resource_arns=resources)
