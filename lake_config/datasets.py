"""Datasets as configuration: one Open Data Contract Standard (ODCS) v3.2.0 contract per dataset.

`datasets/<name>/contract.odcs.yaml` declares a dataset; cdk.json lists the names a stage
deploys (`context.datasets`, or `stages.<stage>.datasets`). A contract is first checked against
the JSON schema that the `open-data-contract-standard` package ships (the standard's own),
then read into `Dataset`: the subset of ODCS the lake acts on, described in docs/DATASETS.md.
Every mistake is one `ConfigError` line naming the contract file and the field.
"""
from __future__ import annotations

import copy
import functools
import json
import re
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import jsonschema
import yaml
from pydantic import BaseModel, ConfigDict

from lake_config import spark_sizing
from lake_config.config_error import ConfigError
from lake_config.named_queries import column_problem, render, template_problem
from lake_config.samples import csv_header_problem
from lake_config.emr_settings import EmrSettings

REPOSITORY = Path(__file__).resolve().parents[1]
DATASETS_DIR = REPOSITORY / "datasets"
CONTRACT_FILE = "contract.odcs.yaml"
SAMPLE_DIR = "sample"
# The one curation job every dataset runs (shipped to S3 by the EMR stack, reads `job_spec`).
CURATION_SCRIPT = REPOSITORY / "spark_jobs" / "curate" / "curate.py"

# S3 prefix, Glue table, IAM resource, crawler and QuickSight id: lower case, digits, underscores.
DATASET_NAME = re.compile(r"^[a-z][a-z0-9_]{1,29}$")
COLUMN_NAME = re.compile(r"^[a-z][a-z0-9_]{0,127}$")
QUERY_NAME = re.compile(r"^[a-z][a-z0-9_]{0,99}$")
DECIMAL_TYPE = re.compile(r"^decimal\((\d{1,2}),(\d{1,2})\)$")
# Curated (Glue/Hive, Parquet) types and the ODCS logical type each one must declare.
LOGICAL_TYPE = {
    "string": "string",
    "int": "integer",
    "bigint": "integer",
    "double": "number",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamp",
}
RAW_FORMATS = {"csv", "json", "parquet"}
NORMALIZATIONS = {"lower", "upper"}
ZONES = ("raw", "curated")
RawFormat = Literal["csv", "json", "parquet"]
RuleKind = Literal[
    "required", "type", "pattern", "min_length", "max_length",
    "minimum", "exclusive_minimum", "maximum", "exclusive_maximum", "enum",
]
# ODCS logicalTypeOptions -> rule kinds the lake enforces (format is how a value parses, not a rule).
OPTION_RULES = {
    "pattern": "pattern",
    "minLength": "min_length",
    "maxLength": "max_length",
    "minimum": "minimum",
    "exclusiveMinimum": "exclusive_minimum",
    "maximum": "maximum",
    "exclusiveMaximum": "exclusive_maximum",
}
# AddJobFlowSteps (EMR API Reference): "The string values passed into HadoopJarStep object
# cannot exceed a total of 10240 characters." The curation step carries the job spec there.
HADOOP_JAR_STEP_LIMIT = 10240
STEP_JAR = "command-runner.jar"
# Longest values of the other step arguments: S3 bucket names, Glue database names, run ids.
# libyaml's parser where PyYAML was built with it (four times faster), the same safe subset.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_LONGEST = {"bucket": 63, "database": 255, "run_id": 255, "script_uri": 200}
# ODCS `quality` checks (library, sql, custom, text) are not run by the lake: silently ignoring
# them would let a contract promise checks nobody makes. The rules it does enforce, in the
# curation job and in the Glue Data Quality ruleset alike (lake_constructs/catalog), are the
# column's own constraints.
QUALITY_REFUSED = (
    "the lake does not run ODCS quality checks; a column's rules belong in required, enum and logicalTypeOptions "
    "(pattern, minLength, maxLength, minimum, maximum, exclusiveMinimum, exclusiveMaximum), which the curation job "
    "and the Glue Data Quality ruleset both enforce (docs/DATASETS.md, Rules)"
)
# Contract- and property-level customProperties the lake understands; others are refused.
CONTRACT_PROPERTIES = {"allowedLatenessDays", "namedQueries", "sizeClass"}
COLUMN_PROPERTIES = {"normalize", "rawName"}


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
    normalize: Literal["lower", "upper"] | None = None
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
    zones: tuple[Literal["raw", "curated"], ...]
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
    def sample_dir(self) -> Path:
        return self.directory / SAMPLE_DIR

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)


def load_datasets(names: list[str], root: Path = DATASETS_DIR) -> tuple[Dataset, ...]:
    """The contracts of `names` under `root`, validated; ConfigError names the first mistake."""
    return tuple(load_dataset(name, root) for name in names)


def load_dataset(name: str, root: Path = DATASETS_DIR) -> Dataset:
    path = Path(root) / name / CONTRACT_FILE
    where = _display(path)
    if not path.is_file():
        raise ConfigError(f"dataset {name!r}: no contract at {where} (a dataset is a folder with {CONTRACT_FILE})")
    document, problem = _parsed_contract(path.read_text())
    if problem:
        raise ConfigError(f"dataset {name!r}: {where}{problem}")
    try:
        dataset = _dataset(name, path.parent, copy.deepcopy(document))  # the cached document stays as read
    except _Invalid as invalid:
        raise ConfigError(f"dataset {name!r}: {where}: {invalid}") from None
    if dataset.raw_format == "csv" and dataset.sample_dir.is_dir() and (problem := csv_header_problem(
            str(dataset.sample_dir), dataset.csv_delimiter, tuple(c.raw_name for c in dataset.raw_columns))):
        raise ConfigError(f"dataset {name!r}: sample {_display(problem[0])}: {problem[1]}")
    if (size := curation_step_size(dataset)) > HADOOP_JAR_STEP_LIMIT:
        raise ConfigError(
            f"dataset {name!r}: {where}: its curation step would pass up to {size} characters to EMR, over the "
            f"{HADOOP_JAR_STEP_LIMIT} AddJobFlowSteps allows per step; declare fewer rules or shorter patterns"
        )
    return dataset


@functools.lru_cache(maxsize=64)
def _parsed_contract(text: str) -> tuple[Any, str | None]:
    """The YAML document of a contract's text and what makes it invalid ODCS (a suffix for the
    error line), parsed and validated once per text: the schema check dominates loading the
    settings, which the app, the CLI and the tests do many times over the same few files."""
    try:
        document = yaml.load(text, Loader=SAFE_LOADER)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark else ""
        return None, f"{line} is not valid YAML: {getattr(error, 'problem', error)}"
    problem = _odcs_problem(document)
    return document, (f" is not a valid ODCS v3 contract: {problem}" if problem else None)


class _Invalid(Exception):
    """A contract that is valid ODCS but not something the lake can build."""


@functools.cache
def _odcs_validator() -> jsonschema.protocols.Validator:
    schema = json.loads((resources.files("open_data_contract_standard") / "schema.json").read_text())
    return jsonschema.validators.validator_for(schema)(schema)


def _odcs_problem(document: Any) -> str | None:
    if not isinstance(document, dict):
        return "the file must hold a YAML mapping"
    error = jsonschema.exceptions.best_match(_odcs_validator().iter_errors(document))
    if error is None:
        return None
    location = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path).lstrip(".")
    return f"{location or 'top level'}: {error.message}"


def _dataset(name: str, directory: Path, contract: dict) -> Dataset:
    if not DATASET_NAME.fullmatch(name):
        raise _Invalid(f"the folder name must match {DATASET_NAME.pattern} (it names the S3 prefix and the Glue table)")
    for field in ("id", "name"):
        if contract.get(field) != name:
            raise _Invalid(f"{field} must be {name!r}, the name of its folder (got {contract.get(field)!r})")
    extras = _custom_properties(contract, CONTRACT_PROPERTIES, "customProperties")
    servers = {server.get("server"): server for server in contract.get("servers", [])}
    raw, curated = (_server(servers, zone) for zone in ZONES)
    raw_format = raw.get("format")
    if raw_format not in RAW_FORMATS:
        raise _Invalid(f"servers[raw].format must be one of {', '.join(sorted(RAW_FORMATS))} (got {raw_format!r})")
    if raw_format == "json" and raw.get("delimiter") != "new_line":
        raise _Invalid("servers[raw].delimiter must be new_line: the lake reads JSON lines, one document per line")
    delimiter = raw.get("delimiter", ",") if raw_format == "csv" else ","
    if len(delimiter) != 1:
        raise _Invalid(f"servers[raw].delimiter must be one character for CSV (got {delimiter!r})")
    if curated.get("format") != "parquet":
        raise _Invalid(f"servers[curated].format must be parquet (got {curated.get('format')!r})")

    objects = contract.get("schema") or []
    if len(objects) != 1:
        raise _Invalid(f"schema must hold exactly one object, the dataset's table (got {len(objects)})")
    table_object = objects[0]
    table = table_object.get("physicalName", table_object["name"])
    if not DATASET_NAME.fullmatch(table):
        raise _Invalid(f"schema[0].physicalName must match {DATASET_NAME.pattern}: it is the Glue table name (got {table!r})")
    properties = table_object.get("properties") or []
    names = [prop["name"] for prop in properties]
    if duplicates := sorted({n for n in names if names.count(n) > 1}):
        raise _Invalid(f"schema[0].properties names {duplicates[0]!r} twice")
    for where, element in [("schema[0]", table_object)] + [(f"schema[0].properties[{i}] ({n})", prop) for i, (n, prop) in enumerate(zip(names, properties))]:
        if element.get("quality"):
            raise _Invalid(f"{where}.quality: {QUALITY_REFUSED}")
    partitions = [prop for prop in properties if prop.get("partitioned")]
    if len(partitions) != 1:
        raise _Invalid("schema[0].properties must mark exactly one property partitioned: true, the date partition")
    partition = partitions[0]
    columns = tuple(_column(prop, names) for prop in properties if prop is not partition)
    by_name = {column.name: column for column in columns}
    event_time = _partition_source(partition, by_name)
    keys = sorted((prop for prop in properties if prop.get("primaryKey")), key=lambda p: p.get("primaryKeyPosition", 0))
    if not keys:
        raise _Invalid("schema[0].properties must mark the de-duplication key with primaryKey: true")
    for prop in keys:
        if not by_name.get(prop["name"]) or not by_name[prop["name"]].required:
            raise _Invalid(f"primary key {prop['name']!r} must be a required, non-partition column")
    for column in columns:
        if unknown := [s for s in column.sources if s not in by_name or by_name[s].derived]:
            raise _Invalid(f"{column.name}.transformSourceObjects names {unknown[0]!r}, which is not a raw column")
    lateness = extras.get("allowedLatenessDays", 0)
    if type(lateness) is not int or not 0 <= lateness <= 30:
        raise _Invalid(f"customProperties.allowedLatenessDays must be a whole number of days from 0 to 30 (got {lateness!r})")
    try:
        size = spark_sizing.size_class(extras.get("sizeClass"))
    except ValueError as error:
        raise _Invalid(str(error)) from None
    dataset = Dataset(
        name=name,
        table=table,
        description=(contract.get("description") or {}).get("purpose", ""),
        directory=directory,
        raw_format=raw_format,
        csv_delimiter=delimiter,
        raw_prefix=_prefix(raw, "{raw-bucket}", "raw"),
        curated_prefix=_prefix(curated, "{curated-bucket}", "curated"),
        columns=columns,
        partition=partition["name"],
        event_time=event_time,
        key=tuple(prop["name"] for prop in keys),
        allowed_lateness_days=lateness,
        named_queries=_named_queries(extras.get("namedQueries", []), directory),
        domain=_tag_value(contract.get("domain"), "domain"),
        size_class=size,
    )
    _check_query_columns(dataset)
    return dataset


# The raw crawler reads the arrival folders `dt=YYYY-MM-DD` as the partition column dt.
RAW_PARTITION = "dt"


def _check_query_columns(dataset: Dataset) -> None:
    """Each named query's columns resolve in each zone's table (the raw crawler's table has the
    raw names of the columns that are not derived, and the arrival partition)."""
    tables = {
        "raw": (dataset.raw_table, tuple(c.raw_name for c in dataset.raw_columns) + (RAW_PARTITION,)),
        "curated": (dataset.table, tuple(c.name for c in dataset.columns) + (dataset.partition,)),
    }
    for query in dataset.named_queries:
        for zone in query.zones:
            if problem := column_problem(query.sql, *tables[zone]):
                raise _Invalid(f"named query {query.name} ({query.file}, {zone} table {tables[zone][0]}) {problem}")


def _server(servers: dict, zone: str) -> dict:
    server = servers.get(zone)
    if not server or server.get("type") != "s3":
        raise _Invalid(f"servers must hold one entry with server: {zone} and type: s3")
    return server


def _prefix(server: dict, bucket: str, zone: str) -> str:
    match = re.fullmatch(rf"s3://{re.escape(bucket)}/([a-z0-9][a-z0-9_/-]*/)", server.get("location", ""))
    if not match or "//" in match.group(1):
        raise _Invalid(f"servers[{zone}].location must be s3://{bucket}/<prefix>/ (got {server.get('location')!r})")
    return match.group(1)


def _custom_properties(element: dict, allowed: set[str], where: str) -> dict:
    found = {}
    for entry in element.get("customProperties") or []:
        key = entry.get("property")
        if key not in allowed:
            raise _Invalid(f"{where} has {key!r}; the lake reads only {', '.join(sorted(allowed))}")
        found[key] = entry.get("value")
    return found


def _column(prop: dict, names: list[str]) -> Column:
    name = prop["name"]
    where = f"schema[0].properties[{names.index(name)}] ({name})"
    if not COLUMN_NAME.fullmatch(name):
        raise _Invalid(f"{where}.name must match {COLUMN_NAME.pattern}: Athena and Glue use lower-case column names")
    physical = prop.get("physicalType")
    decimal = DECIMAL_TYPE.fullmatch(physical or "")
    if decimal:
        precision, scale = int(decimal.group(1)), int(decimal.group(2))
        if not (1 <= precision <= 38 and scale <= precision):
            raise _Invalid(f"{where}.physicalType {physical} needs 1 <= precision <= 38 and scale <= precision")
    elif physical not in LOGICAL_TYPE:
        raise _Invalid(
            f"{where}.physicalType must be one of {', '.join(LOGICAL_TYPE)}, decimal(p,s) (got {physical!r})"
        )
    expected_logical = "number" if decimal else LOGICAL_TYPE[physical]
    if prop.get("logicalType") != expected_logical:
        raise _Invalid(f"{where}.logicalType must be {expected_logical} for physicalType {physical} (got {prop.get('logicalType')!r})")
    extras = _custom_properties(prop, COLUMN_PROPERTIES, f"{where}.customProperties")
    normalize = extras.get("normalize")
    if normalize is not None and (physical != "string" or normalize not in NORMALIZATIONS):
        raise _Invalid(f"{where}.customProperties.normalize must be lower or upper, on a string column (got {normalize!r})")
    options = prop.get("logicalTypeOptions") or {}
    rules: dict[str, Any] = {}
    for option, value in options.items():
        if option == "format":
            continue
        kind = OPTION_RULES.get(option)
        if kind is None:
            raise _Invalid(f"{where}.logicalTypeOptions.{option} is not enforced by the lake; use {', '.join(OPTION_RULES)}")
        if kind == "pattern":
            try:
                re.compile(value)
            except re.error as error:
                raise _Invalid(f"{where}.logicalTypeOptions.pattern is not a regular expression: {error}") from None
        elif kind not in ("min_length", "max_length"):
            value = Decimal(str(value))
        rules[kind] = value
    if "format" in options and physical not in ("date", "timestamp"):
        raise _Invalid(f"{where}.logicalTypeOptions.format applies to date and timestamp columns only")
    derived = prop.get("transformLogic")
    if derived and not prop.get("transformSourceObjects"):
        raise _Invalid(f"{where} has transformLogic but no transformSourceObjects naming the columns it reads")
    allowed = tuple(entry["value"] for entry in prop["enum"]) if prop.get("enum") else None
    return Column(
        name=name,
        type=physical,
        required=bool(prop.get("required")),
        description=prop.get("description", ""),
        raw_name=None if derived else extras.get("rawName", name),
        expression=derived,
        sources=tuple(prop.get("transformSourceObjects") or ()),
        format=options.get("format"),
        normalize=normalize,
        allowed=allowed,
        classification=_tag_value(prop.get("classification"), f"{where}.classification"),
        **rules,
    )


def _tag_value(value: Any, where: str) -> str | None:
    """A contract value that becomes an LF-tag value where governance is on (whose settings
    check its form, lake_config.governance_settings); any string here."""
    if value is not None and not isinstance(value, str):
        raise _Invalid(f"{where} must be a string (got {value!r})")
    return value


def _partition_source(partition: dict, columns: dict[str, Column]) -> str:
    where = f"partition {partition['name']!r}"
    if partition.get("physicalType") != "string":
        raise _Invalid(f"{where} must have physicalType string (its values are YYYY-MM-DD folder names)")
    sources = partition.get("transformSourceObjects") or []
    source = columns.get(sources[0]) if len(sources) == 1 else None
    if not source or source.type not in ("date", "timestamp") or not source.required or source.derived:
        raise _Invalid(
            f"{where}.transformSourceObjects must name exactly one required raw date or timestamp column, its event time"
        )
    return source.name


def _named_queries(entries: Any, directory: Path) -> tuple[NamedQuery, ...]:
    if not isinstance(entries, list):
        raise _Invalid("customProperties.namedQueries must be a list")
    queries = []
    for index, entry in enumerate(entries):
        where = f"customProperties.namedQueries[{index}]"
        if not isinstance(entry, dict) or set(entry) - {"name", "file", "zones", "description"}:
            raise _Invalid(f"{where} must be a mapping of name, file, zones and description")
        name, zones = entry.get("name", ""), entry.get("zones") or []
        if not isinstance(name, str) or not QUERY_NAME.fullmatch(name):
            raise _Invalid(f"{where}.name must match {QUERY_NAME.pattern} (got {name!r})")
        if not zones or not set(zones) <= set(ZONES) or len(set(zones)) != len(zones):
            raise _Invalid(f"{where}.zones must list raw and/or curated, each once (got {zones!r})")
        sql_file = directory / str(entry.get("file", ""))
        if not entry.get("file") or not sql_file.is_file():
            raise _Invalid(f"{where}.file {entry.get('file')!r} is not a file next to the contract")
        sql = sql_file.read_text().strip()
        if problem := template_problem(sql):
            raise _Invalid(f"{where}.file {entry['file']} {problem}")
        queries.append(
            NamedQuery(name=name, sql=sql, zones=tuple(zones), description=entry.get("description", ""), file=str(entry["file"]))
        )
    if duplicates := sorted({q.name for q in queries if [p.name for p in queries].count(q.name) > 1}):
        raise _Invalid(f"customProperties.namedQueries names {duplicates[0]!r} twice")
    return tuple(queries)


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(REPOSITORY))
    except ValueError:
        return str(path)


def job_spec(dataset: Dataset) -> dict:
    """The declaration the curation job reads (`--spec`), as plain JSON: the job runs on the EMR
    nodes with PySpark and the standard library only, so it cannot load the contract itself.
    Numbers are strings so decimal bounds survive JSON exactly. Empty fields are left out (and
    `raw_name` where it is the column's name): the spec travels in the step's arguments, which
    AddJobFlowSteps caps (HADOOP_JAR_STEP_LIMIT)."""

    def plain(value: Any) -> Any:
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, tuple):
            return [plain(v) for v in value]
        return value

    def compact(entry: dict) -> dict:
        return {key: value for key, value in entry.items() if value not in (None, [])}

    return {
        "name": dataset.name,
        "table": dataset.table,
        "format": dataset.raw_format,
        "csv_delimiter": dataset.csv_delimiter,
        "columns": [
            compact({
                "name": c.name,
                "type": c.type,
                "raw_name": c.raw_name if c.raw_name != c.name else None,
                "expression": c.expression,
                "format": c.format,
                "normalize": c.normalize,
                # A derived column's rules are checked only where these columns are valid.
                "sources": list(c.sources),
            })
            for c in dataset.columns
        ],
        "rules": [compact({"id": r.id, "column": r.column, "kind": r.kind, "value": plain(r.value)}) for r in dataset.rules],
        "partition": dataset.partition,
        "event_time": dataset.event_time,
        "key": list(dataset.key),
        "allowed_lateness_days": dataset.allowed_lateness_days,
    }


def curation_step_arguments(
    dataset: Dataset,
    *,
    script_uri: str,
    raw_bucket: str,
    curated_bucket: str,
    database: str,
    run_id: str,
    start_date: str | None = None,
    end_date: str | None = None,
    emr: EmrSettings | None = None,
) -> list[str]:
    """`spark-submit` arguments of one curation step, shared by the CLI and the pipeline so the
    two can never call the job differently. Every location is derived from the dataset; with
    `emr`, the Spark settings too (its instance types and the dataset's size class)."""
    sizing = spark_sizing.spark_submit_options(emr, dataset.size_class) if emr else []
    args = [
        "spark-submit", "--deploy-mode", "cluster", *sizing, script_uri,
        "--spec", json.dumps(job_spec(dataset), separators=(",", ":"), sort_keys=True),
        "--source", f"s3://{raw_bucket}/{dataset.raw_prefix}",
        "--target", f"s3://{curated_bucket}/{dataset.curated_prefix}",
        "--quarantine", f"s3://{curated_bucket}/{dataset.quarantine_prefix}",
        "--report", f"s3://{curated_bucket}/{dataset.report_prefix}{run_id}.json",
        "--database", database,
        "--run-id", run_id,
    ]
    if start_date:
        args += ["--start-date", start_date]
    if end_date:
        args += ["--end-date", end_date]
    return args


def curation_step_size(dataset: Dataset) -> int:
    """Characters of the curation step's HadoopJarStep (jar and arguments) at its longest:
    the longest bucket names, database name, run id and script URI, with both dates."""
    args = curation_step_arguments(
        dataset,
        script_uri="s3://" + "b" * _LONGEST["bucket"] + "/" + "k" * (_LONGEST["script_uri"] - _LONGEST["bucket"] - 6),
        raw_bucket="b" * _LONGEST["bucket"],
        curated_bucket="b" * _LONGEST["bucket"],
        database="d" * _LONGEST["database"],
        run_id="r" * _LONGEST["run_id"],
        start_date="2026-01-01",
        end_date="2026-01-31",
        emr=EmrSettings(),
    )
    # The Spark settings' values of another fleet differ from the default's by a few digits at most.
    return len(STEP_JAR) + sum(len(arg) for arg in args)
