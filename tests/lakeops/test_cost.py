"""The Athena price rule: USD 5.00 per TB, rounded up to the MB, 10 MB minimum per query."""

from decimal import Decimal

import pytest

from lakeops.athena import billed_megabytes, describe_cost, query_cost_usd

MB = 2**20
TB = 2**40


@pytest.mark.parametrize("scanned, billed", [
    (0, 10),               # nothing scanned still pays the minimum
    (1, 10),
    (10 * MB, 10),         # exactly the minimum
    (10 * MB + 1, 11),     # one byte over rounds up a whole MB
    (11 * MB, 11),
    (123 * MB + 5, 124),
])
def test_billed_megabytes_rounds_up_with_a_10_mb_minimum(scanned, billed):
    assert billed_megabytes(scanned) == billed


def test_a_terabyte_costs_five_dollars():
    assert query_cost_usd(TB) == Decimal("5.00")
    assert query_cost_usd(3 * TB) == Decimal("15.00")


def test_small_queries_cost_the_10_mb_minimum():
    assert query_cost_usd(1) == Decimal("5.00") * 10 / 2**20
    assert query_cost_usd(1) == query_cost_usd(10 * MB)
    assert query_cost_usd(10 * MB + 1) > query_cost_usd(10 * MB)


def test_describe_cost_names_the_billed_size_and_price():
    assert describe_cost(1_500_000) == (
        "Data scanned: 1,500,000 bytes (1.4 MiB); billed 10 MB = USD 0.00004768 at USD 5.00 per TB"
    )
