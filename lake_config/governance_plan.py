"""What Lake Formation governs in a stage, as data: the LF-tags the contracts make, the tag each
database, table and column carries, and which columns each consumer may read.

The governance constructs, the QuickSight datasets, the CLI and the tests all read this module, so
the hidden columns are decided once; it imports no CDK (the CLI uses it too).
"""
from __future__ import annotations

from dataclasses import dataclass

from lake_config.datasets import Column, Dataset
from lake_config.models import LakeSettings

# Who reads the curated zone through a query engine Lake Formation filters (Athena).
CONSUMERS = ("analysts", "quicksight")


@dataclass(frozen=True)
class TagKeys:
    """LF-tags live in the account's catalog, shared by every stage: each stage's keys carry its prefix."""

    classification: str
    domain: str
    dataset: str


def tag_keys(settings: LakeSettings) -> TagKeys:
    return TagKeys(*(f"{settings.prefix}-{name}" for name in ("classification", "domain", "dataset")))


def classification(settings: LakeSettings, column: Column) -> str:
    return column.classification or settings.governance.default_classification


def domain(settings: LakeSettings, dataset: Dataset) -> str:
    """A contract without `domain` belongs to the project's domain."""
    return dataset.domain or settings.project


def tag_values(settings: LakeSettings) -> dict[str, tuple[str, ...]]:
    """Every value each key takes in this stage (the LF-tag's allowed values), sorted."""
    keys = tag_keys(settings)
    classifications = {settings.governance.default_classification}
    classifications |= {classification(settings, column) for dataset in settings.datasets for column in dataset.columns}
    return {
        keys.classification: tuple(sorted(classifications)),
        keys.domain: tuple(sorted({domain(settings, dataset) for dataset in settings.datasets})),
        keys.dataset: tuple(sorted(dataset.name for dataset in settings.datasets)),
    }


def explicitly_classified(settings: LakeSettings, dataset: Dataset) -> dict[str, tuple[str, ...]]:
    """Columns whose classification differs from the default, by classification: they carry their
    own tag; the others inherit the database's (Lake Formation: a column inherits its table's
    LF-tags, a table its database's, unless it is assigned its own value for the key)."""
    found: dict[str, list[str]] = {}
    default = settings.governance.default_classification
    for column in dataset.columns:
        if classification(settings, column) != default:
            found.setdefault(classification(settings, column), []).append(column.name)
    return {value: tuple(names) for value, names in sorted(found.items())}


def readable_classifications(settings: LakeSettings, consumer: str) -> tuple[str, ...]:
    """The classification values `consumer` (analysts or quicksight) is granted SELECT on."""
    governance = settings.governance
    allowed = {"analysts": governance.analysts_read_restricted, "quicksight": governance.quicksight_reads_restricted}[consumer]
    values = tag_values(settings)[tag_keys(settings).classification]
    return tuple(v for v in values if allowed or v not in governance.restricted_classifications)


def hidden_columns(settings: LakeSettings, dataset: Dataset, consumer: str) -> tuple[str, ...]:
    """Columns of `dataset` that `consumer` may not read where governance is on (none in iam mode)."""
    if not settings.governance.governed:
        return ()
    readable = readable_classifications(settings, consumer)
    return tuple(column.name for column in dataset.columns if classification(settings, column) not in readable)


def opted_in(settings: LakeSettings) -> tuple[str, ...]:
    """Principals (by role in the lake) that Lake Formation governs in hybrid access mode. The EMR
    clusters (Kerberos on EC2, reading S3 through EMRFS with their instance role), the crawlers and
    the Data Quality role keep IAM access: see docs/governance.md."""
    return CONSUMERS if settings.governance.mode == "hybrid" else ()


def dashboard_problem(settings: LakeSettings, definitions) -> str | None:
    """The first column a dashboard definition uses that QuickSight may not read (its dataset
    leaves such columns out), as one line; None if there is none."""
    from lake_config.dashboard_definitions import EXPRESSION_FIELD, PLACEHOLDER, _walk

    for definition in definitions:
        identifiers = {}
        for declaration in definition.definition.get("DataSetIdentifierDeclarations") or []:
            match = PLACEHOLDER.fullmatch(str(declaration.get("DataSetArn", "")))
            identifiers[declaration.get("Identifier")] = settings.dataset(match["name"])
        uses = [(path, node.get("DataSetIdentifier"), node["ColumnName"]) for path, node, _ in _walk(definition.definition)
                if isinstance(node, dict) and "ColumnName" in node]
        for index, field in enumerate(definition.definition.get("CalculatedFields") or []):
            uses += [(f"CalculatedFields[{index}].Expression", field.get("DataSetIdentifier"), name)
                     for name in EXPRESSION_FIELD.findall(field.get("Expression", ""))]
        for path, identifier, column in uses:
            dataset = identifiers.get(identifier)
            if dataset and column in hidden_columns(settings, dataset, "quicksight"):
                return (
                    f"dashboard {definition.where}: {path} uses column {column!r} of {dataset.name}, which governance hides from "
                    f"QuickSight (classification {classification(settings, dataset.column(column))}); remove it or set "
                    "governance.quicksight_reads_restricted: true"
                )
    return None


def quicksight_visible(settings: LakeSettings, columns: dict, dataset: Dataset) -> dict:
    """`columns` (name -> QuickSight field) without those governance hides from QuickSight."""
    hidden = set(hidden_columns(settings, dataset, "quicksight"))
    return {name: field for name, field in columns.items() if name not in hidden}
