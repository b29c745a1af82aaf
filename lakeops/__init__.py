"""Operations CLI for the data lake: finds a stage's resources through SSM and drives them.

Run it as ``python -m lakeops --stage dev COMMAND``; see docs/operations.md.
"""

# The CLI's own version (`lakeops --version`); raise it when its commands or their JSON change.
__version__ = "1.0.0"
