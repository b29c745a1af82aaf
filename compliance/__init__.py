"""The compliance gate: four cdk-nag packs on every stack, and a summary of what was acknowledged."""
from compliance.packs import PACKS, add_compliance_packs
from compliance.summary import acknowledgments, synth_through_the_gate, unacknowledged_findings, write_compliance_summary

__all__ = ["PACKS", "acknowledgments", "add_compliance_packs", "synth_through_the_gate", "unacknowledged_findings", "write_compliance_summary"]
