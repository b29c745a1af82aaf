"""Registers the cdk-nag packs. Any unacknowledged finding fails synth."""
from aws_cdk import App, Validations
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks

PACKS = (AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks)


def add_compliance_packs(app: App) -> None:
    Validations.of(app).add_plugins(*(pack(app) for pack in PACKS))
