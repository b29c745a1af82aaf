"""A dataset's ODCS v3 contract, read into `Dataset` (lake_config.datasets).

A contract is first checked against the JSON schema that the `open-data-contract-standard`
package ships (the standard's own), then parsed into the same package's models
(`OpenDataContractStandard`, `SchemaObject`, `SchemaProperty`, ...) and mapped onto `Dataset`:
the subset of ODCS the lake acts on, described in docs/DATASETS.md. The models alone would let
mistakes through: every field of theirs is optional, they drop unknown keys below the top level,
check no enumeration (apiVersion, kind, logicalType, server type) and read "yes" as true.
Every mistake is one `ConfigError` line naming the contract file and the field.
"""
from __future__ import annotations

import functools
import json
import re
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, get_args

import jsonschema
import yaml
from open_data_contract_standard.model import CustomProperty, OpenDataContractStandard, SchemaProperty, Server
from pydantic import ValidationError

from lake_config import spark_sizing
from lake_config.config_error import ConfigError
from lake_config.curation_step import HADOOP_JAR_STEP_LIMIT, curation_step_size
from lake_config.datasets import (CONTRACT_FILE, DATASET_NAME, DATASETS_DIR, DECIMAL_TYPE, RAW_PARTITION, Column, Dataset,
                                  NamedQuery, Normalization, RawFormat, Zone, display_path)
from lake_config.named_queries import column_problem, template_problem
from lake_config.samples import csv_header_problem

COLUMN_NAME = re.compile(r"^[a-z][a-z0-9_]{0,127}$")
QUERY_NAME = re.compile(r"^[a-z][a-z0-9_]{0,99}$")
# Curated (Glue/Hive, Parquet) types and the ODCS logical type each one must declare.
LOGICAL_TYPE = {"string": "string", "int": "integer", "bigint": "integer", "double": "number", "boolean": "boolean",
                "date": "date", "timestamp": "timestamp"}
RAW_FORMATS = set(get_args(RawFormat))
NORMALIZATIONS = set(get_args(Normalization))
ZONES = get_args(Zone)
# ODCS logicalTypeOptions -> rule kinds the lake enforces (format is how a value parses, not a rule).
OPTION_RULES = {"pattern": "pattern", "minLength": "min_length", "maxLength": "max_length", "minimum": "minimum",
                "maximum": "maximum", "exclusiveMinimum": "exclusive_minimum", "exclusiveMaximum": "exclusive_maximum"}
# libyaml's parser where PyYAML was built with it (four times faster), the same safe subset.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# ODCS `quality` checks (library, sql, custom, text) are not run by the lake: silently ignoring
# them would let a contract promise checks nobody makes. The rules it does enforce, in the
# curation job and in the Glue Data Quality ruleset alike (lake_constructs/catalog), are the
# column's own constraints.
QUALITY_REFUSED = (
    "the lake does not run ODCS quality checks; a column's rules belong in required, enum and logicalTypeOptions "
    f"({', '.join(OPTION_RULES)}), which the curation job and the Glue Data Quality ruleset both enforce (docs/DATASETS.md, Rules)"
)
# Contract- and property-level customProperties the lake understands; others are refused.
CONTRACT_PROPERTIES = {"allowedLatenessDays", "namedQueries", "sizeClass"}
COLUMN_PROPERTIES = {"normalize", "rawName"}


def load_datasets(names: list[str], root: Path = DATASETS_DIR) -> tuple[Dataset, ...]:
    """The contracts of `names` under `root`, validated; ConfigError names the first mistake."""
    return tuple(load_dataset(name, root) for name in names)


def load_dataset(name: str, root: Path = DATASETS_DIR) -> Dataset:
    path = Path(root) / name / CONTRACT_FILE
    where = display_path(path)
    if not path.is_file():
        raise ConfigError(f"dataset {name!r}: no contract at {where} (a dataset is a folder with {CONTRACT_FILE})")
    contract, problem = _parsed_contract(path.read_text())
    if problem:
        raise ConfigError(f"dataset {name!r}: {where}{problem}")
    try:
        dataset = _dataset(name, path.parent, contract)
    except _Invalid as invalid:
        raise ConfigError(f"dataset {name!r}: {where}: {invalid}") from None
    if dataset.raw_format == "csv" and dataset.sample_dir.is_dir() and (problem := csv_header_problem(
            str(dataset.sample_dir), dataset.csv_delimiter, tuple(c.raw_name for c in dataset.raw_columns))):
        raise ConfigError(f"dataset {name!r}: sample {display_path(problem[0])}: {problem[1]}")
    if (size := curation_step_size(dataset)) > HADOOP_JAR_STEP_LIMIT:
        raise ConfigError(
            f"dataset {name!r}: {where}: its curation step would pass up to {size} characters to EMR, over the "
            f"{HADOOP_JAR_STEP_LIMIT} AddJobFlowSteps allows per step; declare fewer rules or shorter patterns"
        )
    return dataset


@functools.lru_cache(maxsize=64)
def _parsed_contract(text: str) -> tuple[OpenDataContractStandard | None, str | None]:
    """The contract in a text and what makes it invalid ODCS (a suffix for the error line),
    parsed and validated once per text: the schema check dominates loading the settings, which
    the app, the CLI and the tests do many times over the same few files. The model is shared
    by every caller and only read."""
    try:
        document = yaml.load(text, Loader=SAFE_LOADER)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark else ""
        return None, f"{line} is not valid YAML: {getattr(error, 'problem', error)}"
    if not isinstance(document, dict):
        return None, " is not a valid ODCS v3 contract: the file must hold a YAML mapping"
    if schema_error := jsonschema.exceptions.best_match(_odcs_validator().iter_errors(document)):
        return None, f" is not a valid ODCS v3 contract: {_location(schema_error.absolute_path)}: {schema_error.message}"
    try:
        return OpenDataContractStandard.model_validate(document), None
    except ValidationError as invalid:
        model_error = invalid.errors()[0]
        return None, f" is not a valid ODCS v3 contract: {_location(model_error['loc'])}: {model_error['msg']}"


@functools.cache
def _odcs_validator() -> jsonschema.protocols.Validator:
    schema = json.loads((resources.files("open_data_contract_standard") / "schema.json").read_text())
    return jsonschema.validators.validator_for(schema)(schema)


def _location(path: Iterable[str | int]) -> str:
    """`schema[0].properties[3]` from a JSON path's parts."""
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path).lstrip(".") or "top level"


class _Invalid(Exception):
    """A contract that is valid ODCS but not something the lake can build."""


def _dataset(name: str, directory: Path, contract: OpenDataContractStandard) -> Dataset:
    if not DATASET_NAME.fullmatch(name):
        raise _Invalid(f"the folder name must match {DATASET_NAME.pattern} (it names the S3 prefix and the Glue table)")
    for field in ("id", "name"):
        if getattr(contract, field) != name:
            raise _Invalid(f"{field} must be {name!r}, the name of its folder (got {getattr(contract, field)!r})")
    extras = _custom_properties(contract.customProperties, CONTRACT_PROPERTIES, "customProperties")
    servers = {server.server: server for server in contract.servers or []}
    raw, curated = (_server(servers, zone) for zone in ZONES)
    if raw.format not in RAW_FORMATS:
        raise _Invalid(f"servers[raw].format must be one of {', '.join(sorted(RAW_FORMATS))} (got {raw.format!r})")
    if raw.format == "json" and raw.delimiter != "new_line":
        raise _Invalid("servers[raw].delimiter must be new_line: the lake reads JSON lines, one document per line")
    delimiter = "," if raw.format != "csv" or raw.delimiter is None else raw.delimiter
    if len(delimiter) != 1:
        raise _Invalid(f"servers[raw].delimiter must be one character for CSV (got {delimiter!r})")
    if curated.format != "parquet":
        raise _Invalid(f"servers[curated].format must be parquet (got {curated.format!r})")

    objects = contract.schema_ or []
    if len(objects) != 1:
        raise _Invalid(f"schema must hold exactly one object, the dataset's table (got {len(objects)})")
    (table_object,) = objects
    table = table_object.name if table_object.physicalName is None else table_object.physicalName
    if not DATASET_NAME.fullmatch(table):
        raise _Invalid(f"schema[0].physicalName must match {DATASET_NAME.pattern}: it is the Glue table name (got {table!r})")
    properties = table_object.properties or []
    names = [prop.name for prop in properties]
    if duplicates := sorted({n for n in names if names.count(n) > 1}):
        raise _Invalid(f"schema[0].properties names {duplicates[0]!r} twice")
    wheres = [f"schema[0].properties[{i}] ({n})" for i, n in enumerate(names)]
    for where, element in [("schema[0]", table_object), *zip(wheres, properties)]:
        if element.quality:
            raise _Invalid(f"{where}.quality: {QUALITY_REFUSED}")
    partitions = [prop for prop in properties if prop.partitioned]
    if len(partitions) != 1:
        raise _Invalid("schema[0].properties must mark exactly one property partitioned: true, the date partition")
    (partition,) = partitions
    columns = tuple(_column(prop, where) for where, prop in zip(wheres, properties) if prop is not partition)
    by_name = {column.name: column for column in columns}
    event_time = _partition_source(partition, by_name)
    keys = sorted((prop for prop in properties if prop.primaryKey), key=lambda p: p.primaryKeyPosition or 0)
    if not keys:
        raise _Invalid("schema[0].properties must mark the de-duplication key with primaryKey: true")
    for prop in keys:
        if not by_name.get(prop.name) or not by_name[prop.name].required:
            raise _Invalid(f"primary key {prop.name!r} must be a required, non-partition column")
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
        description=(contract.description and contract.description.purpose) or "",
        directory=directory,
        raw_format=raw.format,
        csv_delimiter=delimiter,
        raw_prefix=_prefix(raw, "{raw-bucket}", "raw"),
        curated_prefix=_prefix(curated, "{curated-bucket}", "curated"),
        columns=columns,
        partition=partition.name,
        event_time=event_time,
        key=tuple(prop.name for prop in keys),
        allowed_lateness_days=lateness,
        named_queries=_named_queries(extras.get("namedQueries", []), directory),
        # The schema and the model make both strings; their form is the governance settings' to check.
        domain=contract.domain,
        size_class=size,
    )
    _check_query_columns(dataset)
    return dataset


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


def _server(servers: dict[str | None, Server], zone: str) -> Server:
    server = servers.get(zone)
    if not server or server.type != "s3":
        raise _Invalid(f"servers must hold one entry with server: {zone} and type: s3")
    return server


def _prefix(server: Server, bucket: str, zone: str) -> str:
    match = re.fullmatch(rf"s3://{re.escape(bucket)}/([a-z0-9][a-z0-9_/-]*/)", server.location or "")
    if not match or "//" in match.group(1):
        raise _Invalid(f"servers[{zone}].location must be s3://{bucket}/<prefix>/ (got {server.location!r})")
    return match.group(1)


def _custom_properties(entries: list[CustomProperty] | None, allowed: set[str], where: str) -> dict[str, Any]:
    found = {}
    for entry in entries or []:
        if entry.property not in allowed:
            raise _Invalid(f"{where} has {entry.property!r}; the lake reads only {', '.join(sorted(allowed))}")
        found[entry.property] = entry.value
    return found


def _column(prop: SchemaProperty, where: str) -> Column:
    if not COLUMN_NAME.fullmatch(prop.name):
        raise _Invalid(f"{where}.name must match {COLUMN_NAME.pattern}: Athena and Glue use lower-case column names")
    physical = prop.physicalType
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
    if prop.logicalType != expected_logical:
        raise _Invalid(f"{where}.logicalType must be {expected_logical} for physicalType {physical} (got {prop.logicalType!r})")
    extras = _custom_properties(prop.customProperties, COLUMN_PROPERTIES, f"{where}.customProperties")
    normalize = extras.get("normalize")
    if normalize is not None and (physical != "string" or normalize not in NORMALIZATIONS):
        raise _Invalid(f"{where}.customProperties.normalize must be lower or upper, on a string column (got {normalize!r})")
    options = prop.logicalTypeOptions or {}
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
    derived = prop.transformLogic
    if derived and not prop.transformSourceObjects:
        raise _Invalid(f"{where} has transformLogic but no transformSourceObjects naming the columns it reads")
    return Column(
        name=prop.name,
        type=physical,
        required=bool(prop.required),
        description=prop.description or "",
        raw_name=None if derived else extras.get("rawName", prop.name),
        expression=derived,
        sources=tuple(prop.transformSourceObjects or ()),
        format=options.get("format"),
        normalize=normalize,
        allowed=tuple(entry.value for entry in prop.enum) if prop.enum else None,
        classification=prop.classification,
        **rules,
    )


def _partition_source(partition: SchemaProperty, columns: dict[str, Column]) -> str:
    where = f"partition {partition.name!r}"
    if partition.physicalType != "string":
        raise _Invalid(f"{where} must have physicalType string (its values are YYYY-MM-DD folder names)")
    sources = partition.transformSourceObjects or []
    source = columns.get(sources[0]) if len(sources) == 1 else None
    if not source or source.type not in ("date", "timestamp") or not source.required or source.derived:
        raise _Invalid(
            f"{where}.transformSourceObjects must name exactly one required raw date or timestamp column, its event time"
        )
    return source.name


def _named_queries(entries: Any, directory: Path) -> tuple[NamedQuery, ...]:
    """The project's own `namedQueries` custom property: ODCS types its value as anything."""
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
