"""Operations CLI for the data lake: finds a stage's resources through SSM and drives them.

Run it as ``python -m lakeops --stage dev COMMAND``; see docs/operations.md.
"""
