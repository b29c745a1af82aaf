"""How a dataset's curated columns appear in QuickSight: the one mapping from contract types.

| curated (Glue) type | QuickSight input column | SPICE sub-type |
|---|---|---|
| string | STRING | |
| int, bigint | INTEGER | |
| decimal(p,s) | DECIMAL | FIXED (exact cents in sums) |
| double | DECIMAL | FLOAT |
| boolean | BOOLEAN | |
| date, timestamp | DATETIME | |

The partition column is text (`YYYY-MM-DD`), so STRING. QuickSight takes a sub-type only for
SPICE imports; a direct query reads the types from Athena.
"""
from dataclasses import dataclass

from lake_config.datasets import DECIMAL_TYPE, Dataset

TYPES = {
    "string": "STRING",
    "int": "INTEGER",
    "bigint": "INTEGER",
    "double": "DECIMAL",
    "boolean": "BOOLEAN",
    "date": "DATETIME",
    "timestamp": "DATETIME",
}


@dataclass(frozen=True)
class FieldType:
    type: str
    sub_type: str | None = None


def field_type(curated_type: str) -> FieldType:
    if DECIMAL_TYPE.fullmatch(curated_type):
        return FieldType("DECIMAL", "FIXED")
    if curated_type == "double":
        return FieldType("DECIMAL", "FLOAT")
    return FieldType(TYPES[curated_type])


def quicksight_columns(dataset: Dataset) -> dict[str, FieldType]:
    """Every column of the curated table, in table order, the partition last."""
    return {**{c.name: field_type(c.type) for c in dataset.columns}, dataset.partition: FieldType("STRING")}
