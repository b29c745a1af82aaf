"""Monitoring: the stage's notification topic, failure rules, alarms, budget and dashboard."""
