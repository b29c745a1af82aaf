"""QuickSight analysis/dashboard definitions as data: `datasets/<name>/dashboard.json`.

A file holds one definition exactly as QuickSight's API and CloudFormation spell it (the
`Definition` of `DescribeAnalysisDefinition`, the `Definition` property of
`AWS::QuickSight::Analysis` and `AWS::QuickSight::Dashboard`), with one placeholder: a data set's
ARN is written `{dataset-arn:<dataset name>}`, because the real ARN names the account, the
region and the stage. The stack fills the placeholders in; `lakeops quicksight export` puts them
back. Files are kept in one canonical formatting (`canonical_json`), so an export from the
console is a reviewable diff.

`check_definition` is the synth-time check: every data set identifier, column, parameter and
enumerated value a definition names must exist in the dataset declarations (the contracts), and
date and numeric fields must sit on columns of those types. A violation is one ConfigError line.
"""
from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

from lake_config.config_error import ConfigError
from lake_config.datasets import DECIMAL_TYPE, Dataset, display_path

DEFINITION_FILE = "dashboard.json"
PLACEHOLDER = re.compile(r"^\{dataset-arn:(?P<name>[a-z][a-z0-9_]*)\}$")
# `{column}` references in calculated-field expressions, and `{column} = 'literal'` comparisons.
EXPRESSION_FIELD = re.compile(r"\{([^{}]+)\}")
COMPARED_LITERAL = re.compile(r"\{([^{}]+)\}\s*=\s*'([^']*)'")
DATE_TYPES = {"date", "timestamp"}
NUMERIC_TYPES = {"int", "bigint", "double"}
# Field kinds that QuickSight computes on dates or numbers only; a column of another type
# fails the deployment, so it fails synth here.
DATE_FIELDS = {"DateDimensionField", "DateMeasureField", "TimeRangeFilter", "TimeEqualityFilter", "RelativeDatesFilter"}
NUMERIC_FIELDS = {"NumericalDimensionField", "NumericalMeasureField", "NumericRangeFilter", "NumericEqualityFilter"}
# Keys whose string value names a parameter of the definition.
PARAMETER_REFERENCES = {"Parameter", "SourceParameterName", "ParameterName"}
# AnalysisDefinition has these; DashboardVersionDefinition does not.
ANALYSIS_ONLY = ("QueryExecutionOptions",)
# What ml_insights: false removes: line-chart forecasts and insight (autonarrative) visuals.
FORECAST_KEY = "ForecastConfigurations"
INSIGHT_VISUAL = "InsightVisual"


def placeholder(dataset_name: str) -> str:
    return "{dataset-arn:%s}" % dataset_name


def definition_path(dataset: Dataset) -> Path:
    return dataset.directory / DEFINITION_FILE


@dataclass(frozen=True)
class DashboardDefinition:
    """The checked definition of one dataset's dashboard, still with its placeholders."""

    dataset: Dataset
    path: Path
    definition: dict

    @property
    def where(self) -> str:
        return display_path(self.path)

    @property
    def data_set_names(self) -> tuple[str, ...]:
        """Datasets the definition reads, in declaration order."""
        return tuple(PLACEHOLDER.fullmatch(d["DataSetArn"])["name"] for d in self.definition["DataSetIdentifierDeclarations"])

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(_parameter_names(self.definition))

    def for_analysis(self, data_set_arns: Mapping[str, Any], ml_insights: bool = True) -> dict:
        return resolve(self.definition if ml_insights else without_ml(self.definition), data_set_arns)

    def for_dashboard(self, data_set_arns: Mapping[str, Any], ml_insights: bool = True) -> dict:
        analysis = self.for_analysis(data_set_arns, ml_insights)
        return {key: value for key, value in analysis.items() if key not in ANALYSIS_ONLY}


def load_dashboards(datasets: tuple[Dataset, ...]) -> tuple[DashboardDefinition, ...]:
    """The checked definition of every dataset that has a `dashboard.json`, in dataset order."""
    return tuple(load_dashboard(dataset, datasets) for dataset in datasets if definition_path(dataset).is_file())


def load_dashboard(dataset: Dataset, datasets: tuple[Dataset, ...]) -> DashboardDefinition:
    path = definition_path(dataset)
    where = display_path(path)
    try:
        definition = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ConfigError(f"dashboard {where} line {error.lineno} is not valid JSON: {error.msg}") from None
    if not isinstance(definition, dict):
        raise ConfigError(f"dashboard {where} must hold one JSON object, the definition")
    check_definition(definition, datasets, where)
    return DashboardDefinition(dataset, path, definition)


def check_definition(definition: dict, datasets: tuple[Dataset, ...], where: str) -> None:
    """Raises one ConfigError line for the first reference the declarations do not have."""
    declared = {dataset.name: dataset for dataset in datasets}
    identifiers: dict[str, Dataset] = {}
    for index, declaration in enumerate(definition.get("DataSetIdentifierDeclarations") or []):
        path = f"DataSetIdentifierDeclarations[{index}]"
        match = PLACEHOLDER.fullmatch(str(declaration.get("DataSetArn", "")))
        if not match:
            _fail(where, f"{path}.DataSetArn", f"must be {placeholder('<dataset>')} (got {declaration.get('DataSetArn')!r}): "
                  "a literal ARN names one account, region and stage")
        if match["name"] not in declared:
            _fail(where, f"{path}.DataSetArn", f"names dataset {match['name']!r}, which this stage does not declare "
                  f"(datasets: {', '.join(declared)})")
        identifier = declaration.get("Identifier")
        if not identifier or identifier in identifiers:
            _fail(where, f"{path}.Identifier", f"must be a unique, non-empty name (got {identifier!r})")
        identifiers[identifier] = declared[match["name"]]
    if not identifiers:
        _fail(where, "DataSetIdentifierDeclarations", "must declare at least one data set")

    calculated: dict[str, set[str]] = {identifier: set() for identifier in identifiers}
    for field in definition.get("CalculatedFields") or []:
        if field.get("DataSetIdentifier") in calculated:
            calculated[field["DataSetIdentifier"]].add(field["Name"])
    parameters = set(_parameter_names(definition))

    def columns(identifier: str) -> dict[str, str]:
        dataset = identifiers[identifier]
        return {**{column.name: column.type for column in dataset.columns}, dataset.partition: "string"}

    def known(identifier: Any, path: str) -> str:
        if identifier not in identifiers:
            _fail(where, path, f"names data set identifier {identifier!r}, which DataSetIdentifierDeclarations "
                  f"does not declare (declared: {', '.join(identifiers)})")
        return identifier

    def check_column(node: dict, path: str, kind: str | None) -> None:
        identifier = known(node.get("DataSetIdentifier"), f"{path}.DataSetIdentifier")
        name = node.get("ColumnName")
        types = columns(identifier)
        if name in calculated[identifier]:
            return  # a calculated field: its type is QuickSight's to infer
        if name not in types:
            _fail(where, f"{path}.ColumnName", f"names column {name!r}, which dataset {identifiers[identifier].name!r} "
                  f"does not declare (columns: {', '.join(types)}; calculated: {', '.join(sorted(calculated[identifier])) or 'none'})")
        if kind in DATE_FIELDS and types[name] not in DATE_TYPES:
            _fail(where, f"{path}.ColumnName", f"{kind} needs a date or timestamp column; {name!r} is {types[name]}")
        if kind in NUMERIC_FIELDS and not _numeric(types[name]):
            _fail(where, f"{path}.ColumnName", f"{kind} needs a numeric column; {name!r} is {types[name]}")

    for path, node, kind in _walk(definition):
        if not isinstance(node, dict):
            continue
        if "ColumnName" in node:
            check_column(node, path, kind)
        elif "DataSetIdentifier" in node:
            known(node["DataSetIdentifier"], f"{path}.DataSetIdentifier")
        for key in PARAMETER_REFERENCES & node.keys():
            if isinstance(node[key], str) and node[key] not in parameters:
                _fail(where, f"{path}.{key}", f"names parameter {node[key]!r}, which ParameterDeclarations does not declare "
                      f"(declared: {', '.join(sorted(parameters)) or 'none'})")
        if kind == "CategoryFilter":
            _check_filter_values(node, identifiers, where, path)

    for index, field in enumerate(definition.get("CalculatedFields") or []):
        path = f"CalculatedFields[{index}]"
        identifier = known(field.get("DataSetIdentifier"), f"{path}.DataSetIdentifier")
        types = columns(identifier)
        for name in EXPRESSION_FIELD.findall(field.get("Expression", "")):
            if name not in types and name not in calculated[identifier]:
                _fail(where, f"{path}.Expression", f"names column {{{name}}}, which dataset {identifiers[identifier].name!r} "
                      f"does not declare (columns: {', '.join(types)})")
        for name, literal in COMPARED_LITERAL.findall(field.get("Expression", "")):
            _check_allowed(identifiers[identifier], name, [literal], where, f"{path}.Expression")


def _check_filter_values(node: dict, identifiers: dict[str, Dataset], where: str, path: str) -> None:
    values = (node.get("Configuration", {}).get("FilterListConfiguration") or {}).get("CategoryValues")
    column = node.get("Column") or {}
    if values and column.get("DataSetIdentifier") in identifiers:
        _check_allowed(identifiers[column["DataSetIdentifier"]], column.get("ColumnName"), values, where,
                       f"{path}.Configuration.FilterListConfiguration.CategoryValues")


def _check_allowed(dataset: Dataset, name: str, values: list, where: str, path: str) -> None:
    column = next((c for c in dataset.columns if c.name == name), None)
    if column is None or column.allowed is None:
        return
    if unknown := [value for value in values if value not in column.allowed]:
        _fail(where, path, f"uses {unknown[0]!r}, which is not an allowed value of {dataset.name}.{name} "
              f"(allowed: {', '.join(map(str, column.allowed))})")


def _numeric(column_type: str) -> bool:
    return column_type in NUMERIC_TYPES or bool(DECIMAL_TYPE.fullmatch(column_type))


def _parameter_names(definition: dict) -> Iterator[str]:
    for declaration in definition.get("ParameterDeclarations") or []:
        for typed in declaration.values():
            yield typed["Name"]


def _walk(node: Any, path: str = "", kind: str | None = None) -> Iterator[tuple[str, Any, str | None]]:
    """Every node with its path; `kind` is the nearest enclosing key that names a field or filter type."""
    yield path, node, kind
    if isinstance(node, dict):
        for key, value in node.items():
            child_kind = key if key in DATE_FIELDS | NUMERIC_FIELDS | {"CategoryFilter", "CategoricalDimensionField", "CategoricalMeasureField"} else kind
            yield from _walk(value, f"{path}.{key}" if path else key, child_kind)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{path}[{index}]", kind)


def _fail(where: str, path: str, message: str) -> None:
    raise ConfigError(f"dashboard {where}: {path} {message}")


def resolve(definition: dict, data_set_arns: Mapping[str, Any]) -> dict:
    """The definition with each `{dataset-arn:<name>}` replaced by `data_set_arns[name]`
    (a literal ARN or a CDK token)."""
    return _map_strings(definition, lambda text: data_set_arns[m["name"]] if (m := PLACEHOLDER.fullmatch(text)) else text)


def localize(definition: dict, arn_names: Mapping[str, str]) -> dict:
    """The inverse of `resolve` for a definition the API returned: each data set ARN in
    `arn_names` (ARN -> dataset name) becomes its placeholder again."""
    return _map_strings(definition, lambda text: placeholder(arn_names[text]) if text in arn_names else text)


def _map_strings(node: Any, function: Callable[[str], Any]) -> Any:
    if isinstance(node, dict):
        return {key: _map_strings(value, function) for key, value in node.items()}
    if isinstance(node, list):
        return [_map_strings(value, function) for value in node]
    return function(node) if isinstance(node, str) else node


def without_ml(definition: dict) -> dict:
    """The definition without ML insights, for a Standard-edition account: line charts lose
    their forecasts, and insight visuals disappear with their layout cells and filter scopes."""
    stripped = copy.deepcopy(definition)
    removed: set[str] = set()
    for sheet in stripped.get("Sheets") or []:
        kept = []
        for visual in sheet.get("Visuals") or []:
            if INSIGHT_VISUAL in visual:
                removed.add(visual[INSIGHT_VISUAL]["VisualId"])
                continue
            for chart in visual.values():
                chart.get("ChartConfiguration", {}).pop(FORECAST_KEY, None)
            kept.append(visual)
        sheet["Visuals"] = kept
        for layout in sheet.get("Layouts") or []:
            for grid in layout["Configuration"].values():
                grid["Elements"] = [element for element in grid["Elements"] if element["ElementId"] not in removed]
    for group in stripped.get("FilterGroups") or []:
        for scope in (group["ScopeConfiguration"].get("SelectedSheets") or {}).get("SheetVisualScopingConfigurations", []):
            if "VisualIds" in scope:
                scope["VisualIds"] = [visual for visual in scope["VisualIds"] if visual not in removed]
    return stripped


def uses_ml(definition: dict) -> bool:
    return without_ml(definition) != definition


def canonical_json(definition: dict) -> str:
    """The repository's formatting: sorted keys, two-space indent, integral numbers without
    `.0` (the API returns Double members as floats), UTF-8, a final newline."""
    return json.dumps(_integral(definition), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _integral(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: _integral(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_integral(value) for value in node]
    if isinstance(node, float) and node.is_integer():
        return int(node)
    return node
