"""Orchestration: the scheduled curation pipeline, its cluster sweeper and schedule."""
