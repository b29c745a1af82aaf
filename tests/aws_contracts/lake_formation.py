"""Evaluate Lake Formation permissions the way Lake Formation does, from synthesized templates.

`LakeFormation.from_templates(...)` reads the LF-tags (AWS::LakeFormation::Tag), their
attachments (AWS::LakeFormation::TagAssociation), the grants (AWS::LakeFormation::PrincipalPermissions)
and the declared tables' columns (AWS::Glue::Table), and answers whether a principal holds a
permission on a database, a table, a column or an S3 location. The rules, from the Lake Formation
Developer Guide:

- "Lake Formation tag-based access control": a resource matches an LF-tag expression when, for
  every key of the expression, its value for that key is one of the expression's values; a table
  inherits its database's LF-tags and a column its table's, unless it is assigned its own value
  for that key, which then replaces the inherited one. A TABLE tag-policy grant covers the
  matching tables and, for SELECT, only their columns that match too (the LFTag API page: "granting
  a role access to all columns that do not have the LF-tag 'PII' in tables that have the LF-tag
  'Prod'"). Only predefined tag values may be assigned or granted ("All LF-Tags must be predefined
  before they can be assigned ... or granted"): anything else raises `Invalid`.
- "Lake Formation permissions reference": a named table grant covers every column; a
  TableWildcard grant every table of its database; ALL covers every permission.
- "Underlying data access control": DATA_LOCATION_ACCESS on a location ("buckets or prefixes
  under a bucket") covers what lies under it.
- "Implicit Lake Formation permissions": data lake administrators have DESCRIBE everywhere and data
  location permissions everywhere, but no data access unless granted.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping

from tests.aws_contracts.iam_policy import render

# Glue API -> the Lake Formation permission it needs, and on what ("Lake Formation permissions
# reference": DESCRIBE lets a principal see a database or table; SELECT read its data and
# partitions; INSERT add data and partitions; ALTER change the definition and partitions;
# CREATE_TABLE create tables in a database). Partition writes are checked against both INSERT and
# ALTER: the grants must hold both.
GLUE_PERMISSIONS = {
    "glue:GetDatabase": ("database", ("DESCRIBE",)),
    "glue:GetTables": ("database", ("DESCRIBE",)),
    "glue:GetTable": ("table", ("DESCRIBE",)),
    "glue:GetPartition": ("table", ("SELECT",)),
    "glue:GetPartitions": ("table", ("SELECT",)),
    "glue:BatchGetPartition": ("table", ("SELECT",)),
    "glue:CreatePartition": ("table", ("INSERT", "ALTER")),
    "glue:BatchCreatePartition": ("table", ("INSERT", "ALTER")),
    "glue:UpdatePartition": ("table", ("INSERT", "ALTER")),
    "glue:BatchUpdatePartition": ("table", ("INSERT", "ALTER")),
    "glue:CreateTable": ("database", ("CREATE_TABLE",)),
    "glue:UpdateTable": ("table", ("ALTER",)),
}
# What hybrid access mode enforces for principals that are not opted in: "The hybrid access mode
# enforces only CREATE_TABLE, CREATE_PARTITION, UPDATE_TABLE permissions by default" and, for
# CreateTable and partition writes, "the location is considered registered ... users need data
# location permission" ("Hybrid access mode", "Hybrid access mode considerations and limitations").
HYBRID_ENFORCED = {"glue:CreateTable", "glue:UpdateTable", "glue:CreatePartition", "glue:BatchCreatePartition",
                   "glue:UpdatePartition", "glue:BatchUpdatePartition"}
NEEDS_LOCATION = HYBRID_ENFORCED


class Invalid(Exception):
    """The templates hold something Lake Formation would refuse."""


@dataclass(frozen=True)
class Grant:
    principal: str
    permissions: frozenset[str]
    kind: str  # database, table, table_wildcard, tag_policy, data_location
    database: str | None = None
    table: str | None = None
    resource_type: str | None = None
    expression: Mapping[str, frozenset[str]] = field(default_factory=dict)
    location: str | None = None

    def gives(self, permission: str) -> bool:
        return permission in self.permissions or "ALL" in self.permissions


@dataclass
class LakeFormation:
    tags: dict[str, frozenset[str]]
    # ("database", db) | ("table", db, table) | ("column", db, table, column) -> {key: value}
    attached: dict[tuple, dict[str, str]]
    grants: list[Grant]
    columns: dict[tuple[str, str], tuple[str, ...]]
    admins: frozenset[str]

    @classmethod
    def from_templates(cls, templates: Iterable[Mapping], names: Mapping[str, str] | None = None) -> "LakeFormation":
        tags, attached, grants, columns, admins = {}, {}, [], {}, set()
        resources = [(template, r) for template in templates for r in template.get("Resources", {}).values()]
        value = lambda v, t: render(v, t, names)  # noqa: E731
        for template, resource in resources:
            properties = resource.get("Properties", {})
            if resource["Type"] == "AWS::LakeFormation::Tag":
                tags[properties["TagKey"]] = frozenset(properties["TagValues"])
            elif resource["Type"] == "AWS::LakeFormation::DataLakeSettings":
                admins |= {value(a["DataLakePrincipalIdentifier"], template) for a in properties.get("Admins", [])}
            elif resource["Type"] == "AWS::Glue::Table":
                table = properties["TableInput"]
                descriptor = table.get("StorageDescriptor", {})
                names_ = [c["Name"] for c in descriptor.get("Columns", [])] + [c["Name"] for c in table.get("PartitionKeys", [])]
                columns[(properties["DatabaseName"], table["Name"])] = tuple(names_)
        for template, resource in resources:
            properties = resource.get("Properties", {})
            if resource["Type"] == "AWS::LakeFormation::TagAssociation":
                pairs = {}
                for pair in properties["LFTags"]:
                    (tag_value,) = pair["TagValues"]  # "Only one value for a particular key can be assigned"
                    if tag_value not in tags.get(pair["TagKey"], ()):
                        raise Invalid(f"{pair['TagKey']}={tag_value} is not a value of a declared LF-tag")
                    pairs[pair["TagKey"]] = tag_value
                for target in _targets(properties["Resource"]):
                    attached.setdefault(target, {}).update(pairs)
            elif resource["Type"] == "AWS::LakeFormation::PrincipalPermissions":
                if properties.get("PermissionsWithGrantOption"):
                    raise Invalid(f"grant with grant option: {properties['PermissionsWithGrantOption']}")
                principal = value(properties["Principal"]["DataLakePrincipalIdentifier"], template)
                grants.append(_grant(principal, frozenset(properties["Permissions"]), properties["Resource"], tags, lambda v: value(v, template)))
        return cls(tags, attached, grants, columns, frozenset(admins))

    def tags_of(self, database: str, table: str | None = None, column: str | None = None) -> dict[str, str]:
        """Effective LF-tags: the database's, replaced key by key by the table's, then the column's."""
        found = dict(self.attached.get(("database", database), {}))
        if table is not None:
            found |= self.attached.get(("table", database, table), {})
        if column is not None:
            found |= self.attached.get(("column", database, table, column), {})
        return found

    def _matches(self, grant: Grant, database: str, table: str | None, column: str | None) -> bool:
        if grant.kind == "database":
            return table is None and grant.database == database
        if grant.kind == "table":
            return table is not None and (grant.database, grant.table) == (database, table)
        if grant.kind == "table_wildcard":
            return table is not None and grant.database == database
        if grant.kind == "tag_policy":
            if (grant.resource_type == "DATABASE") != (table is None):
                return False
            tags = self.tags_of(database, table, column)
            return all(tags.get(key) in values for key, values in grant.expression.items())
        return False

    def allows(self, principal: str, permission: str, database: str, table: str | None = None, column: str | None = None) -> bool:
        if permission == "DESCRIBE" and principal in self.admins:
            return True
        if column is not None and (database, table) in self.columns and column not in self.columns[(database, table)]:
            raise Invalid(f"{database}.{table} has no column {column}")
        return any(g.principal == principal and g.gives(permission) and self._matches(g, database, table, column) for g in self.grants)

    def readable_columns(self, principal: str, database: str, table: str) -> tuple[str, ...]:
        return tuple(c for c in self.columns[(database, table)] if self.allows(principal, "SELECT", database, table, c))

    def allows_location(self, principal: str, location_arn: str) -> bool:
        if principal in self.admins:
            return True
        return any(
            g.principal == principal and g.kind == "data_location" and g.gives("DATA_LOCATION_ACCESS")
            and (location_arn == g.location or location_arn.startswith(g.location.rstrip("/") + "/"))
            for g in self.grants
        )


def _targets(resource: Mapping) -> list[tuple]:
    if "Database" in resource:
        return [("database", resource["Database"]["Name"])]
    if "Table" in resource:
        return [("table", resource["Table"]["DatabaseName"], resource["Table"]["Name"])]
    if "TableWithColumns" in resource:
        found = resource["TableWithColumns"]
        return [("column", found["DatabaseName"], found["Name"], c) for c in found["ColumnNames"]]
    raise Invalid(f"unsupported tag association resource {resource}")


def _grant(principal: str, permissions: frozenset[str], resource: Mapping, tags: Mapping, value) -> Grant:
    if "Database" in resource:
        return Grant(principal, permissions, "database", database=resource["Database"]["Name"])
    if "Table" in resource:
        table = resource["Table"]
        if "TableWildcard" in table:
            return Grant(principal, permissions, "table_wildcard", database=table["DatabaseName"])
        return Grant(principal, permissions, "table", database=table["DatabaseName"], table=table["Name"])
    if "LFTagPolicy" in resource:
        policy = resource["LFTagPolicy"]
        expression = {}
        for entry in policy["Expression"]:
            unknown = set(entry["TagValues"]) - tags.get(entry["TagKey"], frozenset())
            if unknown:
                raise Invalid(f"tag expression names {entry['TagKey']}={sorted(unknown)}, not declared values")
            expression[entry["TagKey"]] = frozenset(entry["TagValues"])
        return Grant(principal, permissions, "tag_policy", resource_type=policy["ResourceType"], expression=expression)
    if "DataLocation" in resource:
        return Grant(principal, permissions, "data_location", location=value(resource["DataLocation"]["ResourceArn"]))
    raise Invalid(f"unsupported grant resource {resource}")
