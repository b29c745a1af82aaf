"""The DQDL a contract becomes: every kind of rule, optional columns, quoting, and a grammar check."""
import re
from pathlib import Path

import pytest

from lake_config.contracts import load_dataset
from lake_constructs.catalog.data_quality_rules import dqdl, dqdl_rules, quoted
from tests.helpers import CDK_CONTEXT, THIRD_DATASET

STRING = r'"(?:\\["\\]|[^"\\])*"'
NUMBER = r"-?\d+(?:\.\d+)?"
# The rule forms the generator may emit, after DQDL's grammar (awslabs/dqdl) and reference.
RULE = re.compile(
    rf"(RowCount > 0|IsComplete {STRING}|IsPrimaryKey( {STRING})+"
    rf"|ColumnValues {STRING} (matches {STRING}|in \[({STRING}|{NUMBER})(, ({STRING}|{NUMBER}))*\]|(>=|>|<=|<) {NUMBER})"
    rf"|ColumnLength {STRING} (>=|<=) {NUMBER})( where {STRING})?"
)


def datasets():
    return [load_dataset(name) for name in CDK_CONTEXT["datasets"]] + [load_dataset(THIRD_DATASET.name, THIRD_DATASET.parent)]


@pytest.mark.parametrize("dataset", datasets(), ids=lambda d: d.name)
def test_every_rule_is_well_formed_dqdl(dataset):
    document = dqdl(dataset)
    assert document.startswith("Rules = [\n") and document.endswith("\n]")
    for rule in dqdl_rules(dataset):
        assert RULE.fullmatch(rule), rule


@pytest.mark.parametrize("dataset", datasets(), ids=lambda d: d.name)
def test_every_required_column_and_the_key_are_checked(dataset):
    rules = dqdl_rules(dataset)
    assert rules[0] == "RowCount > 0"
    for column in dataset.columns:
        assert (f'IsComplete "{column.name}"' in rules) == column.required
    assert rules[-1] == "IsPrimaryKey " + " ".join(f'"{k}"' for k in dataset.key)


def test_the_third_dataset_covers_every_kind():
    rules = dqdl_rules(load_dataset(THIRD_DATASET.name, THIRD_DATASET.parent))
    assert 'ColumnValues "sku" matches "^SKU-\\\\d{6}$"' in rules  # the contract's backslash, escaped once
    assert 'ColumnValues "warehouse" in ["BER", "LYS"]' in rules
    assert 'ColumnValues "on_hand" >= 0' in rules
    assert 'ColumnValues "unit_cost" > 0' in rules
    assert 'ColumnValues "reorder_point" <= 100000 where "reorder_point is not null"' in rules
    assert 'ColumnValues "weight_kg" < 1000.5 where "weight_kg is not null"' in rules
    assert 'ColumnLength "location_code" >= 3 where "location_code is not null"' in rules
    assert 'ColumnLength "location_code" <= 12 where "location_code is not null"' in rules
    assert 'IsPrimaryKey "sku" "warehouse"' in rules
    assert not [r for r in rules if "counted_on" in r and "IsComplete" not in r], "a type is the table's, not a rule"


def test_an_optional_column_may_be_absent_but_not_wrong():
    rules = dqdl_rules(load_dataset("clickstream"))
    assert 'ColumnValues "country" matches "^[A-Z]{2}$" where "country is not null"' in rules
    assert 'IsComplete "country"' not in rules and 'IsComplete "referrer"' not in rules


def test_quoting_escapes_what_the_dqdl_lexer_escapes():
    assert quoted('a"b\\c') == '"a\\"b\\\\c"'
