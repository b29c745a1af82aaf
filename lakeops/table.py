"""Plain-text tables: readable in a terminal and in CI logs, no extra dependency."""


def format_table(headers: list[str], rows: list[list[object]]) -> str:
    cells = [[str(value) for value in row] for row in rows]
    widths = [max([len(header)] + [len(row[i]) for row in cells]) for i, header in enumerate(headers)]

    def line(values: list[str]) -> str:
        return "  ".join(value.ljust(width) for value, width in zip(values, widths)).rstrip()

    separator = "  ".join("-" * width for width in widths)
    return "\n".join([line(headers), separator] + [line(row) for row in cells])


def format_bytes(count: int) -> str:
    """Exact bytes for comparisons, plus a binary-unit figure for reading."""
    value, unit = float(count), "B"
    for next_unit in ("KiB", "MiB", "GiB", "TiB"):
        if value < 1024:
            break
        value, unit = value / 1024, next_unit
    return f"{count:,} bytes" if unit == "B" else f"{count:,} bytes ({value:.1f} {unit})"
