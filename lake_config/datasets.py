"""A dataset as the lake deploys it: the settings the stacks, the curation job and the CLI read.

`datasets/<name>/contract.odcs.yaml`, an Open Data Contract Standard (ODCS) v3.2.0 contract,
declares each dataset; cdk.json lists the names a stage deploys (`context.datasets`, or
`stages.<stage>.datasets`). lake_config.contracts reads a contract into `Dataset`, and
lake_config.curation_step turns one into the arguments of its EMR step.
"""
from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from lake_config import spark_sizing
from lake_config.named_queries import render

REPOSITORY = Path(__file__).resolve().parents[1]
DATASETS_DIR = REPOSITORY / "datasets"
CONTRACT_FILE = "contract.odcs.yaml"
SAMPLE_DIR = "sample"
# The one curation job every dataset runs (shipped to S3 by the EMR stack, reads its job spec).
CURATION_SCRIPT = REPOSITORY / "spark_jobs" / "curate" / "curate.py"

# S3 prefix, Glue table, IAM resource, crawler and QuickSight id: lower case, digits, underscores.
DATASET_NAME = re.compile(r"^[a-z][a-z0-9_]{1,29}$")
DECIMAL_TYPE = re.compile(r"^decimal\((\d{1,2}),(\d{1,2})\)$")
# The raw crawler reads the arrival folders `dt=YYYY-MM-DD` as the partition column dt.
RAW_PARTITION = "dt"
Zone = Literal["raw", "curated"]
RawFormat = Literal["csv", "json", "parquet"]
Normalization = Literal["lower", "upper"]
RuleKind = Literal[
    "required", "type", "pattern", "min_length", "max_length",
    "minimum", "exclusive_minimum", "maximum", "exclusive_maximum", "enum",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Rule(_Frozen):
    """One validity rule of a column; `id` names it in quarantine rows, reports and DQ results."""

    column: str
    kind: RuleKind
    value: Any = None

    @property
    def id(self) -> str:
        return f"{self.column}:{self.kind}"


class Column(_Frozen):
    """A curated column. Raw columns are read as text by name (`raw_name`) and cast to `type`."""

    name: str
    type: str
    required: bool = False
    description: str = ""
    # None for a derived column (`expression`, Spark SQL over other curated columns).
    raw_name: str | None = None
    expression: str | None = None
    sources: tuple[str, ...] = ()
    # Java DateTimeFormatter pattern that raw text of a date or timestamp column is parsed with.
    format: str | None = None
    normalize: Normalization | None = None
    pattern: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    minimum: Decimal | None = None
    exclusive_minimum: Decimal | None = None
    maximum: Decimal | None = None
    exclusive_maximum: Decimal | None = None
    allowed: tuple[str | int | float | bool, ...] | None = None
    # ODCS `classification` (e.g. restricted): the column's LF-tag where governance is on.
    classification: str | None = None

    @property
    def derived(self) -> bool:
        return self.expression is not None

    @property
    def rules(self) -> tuple[Rule, ...]:
        rules = [Rule(column=self.name, kind="required")] if self.required else []
        if self.type != "string" and not self.derived:
            rules.append(Rule(column=self.name, kind="type", value=self.format or self.type))
        for kind in ("pattern", "min_length", "max_length", "minimum", "exclusive_minimum", "maximum", "exclusive_maximum"):
            if getattr(self, kind) is not None:
                rules.append(Rule(column=self.name, kind=kind, value=getattr(self, kind)))
        if self.allowed is not None:
            rules.append(Rule(column=self.name, kind="enum", value=self.allowed))
        return tuple(rules)


class NamedQuery(_Frozen):
    """An Athena named query; `sql` has `{database}` and `{table}` placeholders (lake_config.named_queries)."""

    name: str
    sql: str
    zones: tuple[Zone, ...]
    description: str
    file: str = ""

    def query_name(self, zone: str) -> str:
        return f"{self.name}_{zone}"

    def render(self, *, database: str, table: str) -> str:
        """The query as Athena runs it: the placeholders filled in, every other brace as written."""
        return render(self.sql, database=database, table=table)


class Dataset(_Frozen):
    """Everything the stacks, the curation job and the CLI need to know about one dataset."""

    name: str
    table: str
    description: str
    directory: Path
    raw_format: RawFormat
    csv_delimiter: str = ","
    raw_prefix: str
    curated_prefix: str
    # Curated columns in declared order, without the partition column.
    columns: tuple[Column, ...]
    partition: str
    event_time: str
    key: tuple[str, ...]
    allowed_lateness_days: int = 0
    named_queries: tuple[NamedQuery, ...] = ()
    # ODCS `domain`: an LF-tag of the dataset's tables where governance is on.
    domain: str | None = None
    # The most raw data a daily run reads: sizes the step's Spark settings (lake_config/spark_sizing.py).
    size_class: str = spark_sizing.DEFAULT_SIZE_CLASS

    @property
    def raw_columns(self) -> tuple[Column, ...]:
        return tuple(column for column in self.columns if not column.derived)

    @property
    def rules(self) -> tuple[Rule, ...]:
        return tuple(rule for column in self.columns for rule in column.rules)

    @property
    def quarantine_prefix(self) -> str:
        """Rejected rows, in the curated bucket, with the rules they broke."""
        return f"quarantine/{self.curated_prefix}"

    @property
    def report_prefix(self) -> str:
        """One JSON report per curation run (read / written / rejected per rule), in the curated bucket."""
        return f"reports/{self.curated_prefix}"

    @property
    def raw_table(self) -> str:
        """The raw crawler's table: Glue names it after the last folder of its S3 target."""
        return re.sub(r"[^a-z0-9_]", "_", self.raw_prefix.rstrip("/").rsplit("/", 1)[-1])

    @property
    def contract_file(self) -> Path:
        return self.directory / CONTRACT_FILE

    @property
    def sample_dir(self) -> Path:
        return self.directory / SAMPLE_DIR

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)


def display_path(path: Path) -> str:
    """A file as error lines name it: relative to the repository where it lies inside it."""
    try:
        return str(path.relative_to(REPOSITORY))
    except ValueError:
        return str(path)
