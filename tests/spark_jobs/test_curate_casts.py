"""How the job turns cleaned text into each declared type: strict, never rounding, null (a
`type` rejection) for anything that is not plainly a value of the type. One Spark action."""
import datetime
import unicodedata
from decimal import Decimal

import pytest

F = pytest.importorskip("pyspark.sql.functions")

UTC = datetime.timezone.utc
# (column declaration, text, typed value or None)
CASES = [
    ({"type": "int"}, "42", 42), ({"type": "int"}, "+7", 7), ({"type": "int"}, "-3", -3),
    ({"type": "int"}, "1.5", None), ({"type": "int"}, "99999999999", None), ({"type": "int"}, "4 2", None),
    ({"type": "bigint"}, "99999999999", 99999999999),
    ({"type": "decimal(10,2)"}, "12.34", Decimal("12.34")), ({"type": "decimal(10,2)"}, "12", Decimal("12.00")),
    ({"type": "decimal(10,2)"}, "12.345", None), ({"type": "decimal(10,2)"}, "123456789.00", None),
    ({"type": "decimal(10,2)"}, "1,5", None), ({"type": "decimal(2,2)"}, "0.25", Decimal("0.25")),
    ({"type": "decimal(4,0)"}, "1234", Decimal("1234")), ({"type": "decimal(4,0)"}, "1234.0", None),
    ({"type": "double"}, "1e3", 1000.0), ({"type": "double"}, "-0.5", -0.5), ({"type": "double"}, "NaN", None),
    ({"type": "double"}, "Infinity", None),
    ({"type": "boolean"}, "TRUE", True), ({"type": "boolean"}, "false", False), ({"type": "boolean"}, "yes", None),
    ({"type": "date"}, "2026-01-31", datetime.date(2026, 1, 31)), ({"type": "date"}, "2026-02-30", None),
    ({"type": "date", "format": "dd.MM.yyyy"}, "31.01.2026", datetime.date(2026, 1, 31)),
    ({"type": "date", "format": "dd.MM.yyyy"}, "2026-01-31", None),
    ({"type": "timestamp", "format": "yyyy-MM-dd'T'HH:mm:ss.SSSX"}, "2026-01-09T14:03:27.123Z",
     datetime.datetime(2026, 1, 9, 14, 3, 27, 123000, UTC)),
    ({"type": "timestamp", "format": "yyyy-MM-dd'T'HH:mm:ss.SSSX"}, "2026-01-09T14:03:27Z", None),
    ({"type": "timestamp", "format": "yyyy-MM-dd'T'HH:mm:ss.SSSX"}, "1767967407123", None),
    ({"type": "timestamp", "format": "yyyy-MM-dd'T'HH:mm:ssX"}, "2026-01-09T15:03:27+01", datetime.datetime(2026, 1, 9, 14, 3, 27, 0, UTC)),
    ({"type": "timestamp", "format": "yyyy-MM-dd'T'HH:mm:ssX"}, "2026-1-9T14:03:27Z", None),
]


def test_text_is_cast_strictly(spark, job):
    texts = spark.createDataFrame([(text,) for _, text, _ in CASES], "text string")
    columns = [job.cast_text(dict(column, name="c%d" % i), F.col("text")).alias("c%d" % i)
               for i, (column, _, _) in enumerate(CASES)]
    # Row i holds case i's text; read column i of row i. Timestamps are compared as UTC epochs.
    epochs = [F.unix_micros(c) if case[0]["type"] == "timestamp" else c for c, case in zip(columns, CASES)]
    with job.session_conf(spark, job.SESSION_CONF):
        rows = texts.select(*epochs).collect()
    got = [rows[i][i] for i in range(len(CASES))]
    want = [int(v.timestamp() * 1_000_000) if isinstance(v, datetime.datetime) else v for _, _, v in CASES]
    assert [(c[1], g) for c, g in zip(CASES, got)] == [(c[1], w) for c, w in zip(CASES, want)]


def _java_edge_space(char):
    """Java's \\s ([ \\t\\n\\x0B\\f\\r]) or \\p{Z} (Unicode separators Zs, Zl, Zp): the oracle."""
    return char in " \t\n\x0b\f\r" or unicodedata.category(char) in ("Zs", "Zl", "Zp")


def test_text_is_trimmed_of_every_edge_space_and_nothing_else(spark, job):
    """Each separator at either end goes, whatever the neighbours; characters next to the set's
    bounds (' ' and U+00A0) and inside it stay: control characters, Latin-1 letters, a zero-width
    space (U+200B, not a separator), an emoji. Blank text is null. One Spark action."""
    spaces = [c for c in map(chr, range(0x3001)) if _java_edge_space(c)]
    keep = ["\x01", "\x1f", "!", "\x7f", "\x9f", "é", "\u200b", "\U0001f600", "x"]
    texts = ([s + "a b" + t for s, t in zip(spaces, reversed(spaces))] + [s + "a" for s in spaces] + ["a" + s for s in spaces]
             + [k + "a" + k for k in keep] + [k + s for k in keep for s in spaces[:3]] + ["", " ", "\u3000 \t", None])
    frame = spark.createDataFrame([(t,) for t in texts], "text string")
    rows = frame.select(job.clean_text({}, F.col("text")).alias("c")).collect()
    edge = "".join(spaces)
    want = [None if t is None or not t.strip(edge) else t.strip(edge) for t in texts]
    assert [r["c"] for r in rows] == want
