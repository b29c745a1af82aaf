"""Allows ``python -m lakeops``; the lead may add a console script pointing at ``lakeops.cli:cli``."""

from lakeops.cli import cli

cli(prog_name="python -m lakeops")
