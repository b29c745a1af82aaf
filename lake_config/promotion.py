"""Promotion across accounts: the shipped stages a merged change goes through, in order.

cdk.json's context `promotion` lists them (shipped: dev, then prod). Each promoted stage names
the account it deploys to (`stages.<name>.account`), and no two share one: the workflow's role,
the bootstrap's execution policy and the Data Catalog encryption are each one per account. The
shipped accounts are AWS's documentation examples; synth works with them (an account-bound
stack needs no credentials to synthesize), deploying refuses them (stacks.account_check).
"""
from typing import Any, Mapping

# The example account ids of AWS's documentation, as cdk.json ships them: a fork replaces them.
PLACEHOLDER_ACCOUNTS = ("111122223333", "777788889999")


def promoted_stages(context: Mapping[str, Any]) -> list[str]:
    """The stages of context `promotion`, in promotion order ([] when there is none)."""
    stages = context.get("promotion") or []
    return list(stages) if isinstance(stages, list) else []


def promotion_problem(context: Mapping[str, Any]) -> str | None:
    """One line naming the setting, or None when `promotion` is absent or valid."""
    if "promotion" not in context:
        return None
    order, stages = context["promotion"], context.get("stages") or {}
    if not isinstance(order, list) or not order or not all(isinstance(name, str) for name in order):
        return f"invalid setting promotion: must be a non-empty list of stage names from stages ({', '.join(sorted(stages))}), got {order!r}"
    if unknown := [name for name in order if name not in stages]:
        return f"invalid setting promotion: {unknown[0]!r} is not a stage of cdk.json; allowed: {', '.join(sorted(stages))}"
    if len(set(order)) < len(order):
        return f"invalid setting promotion: each stage once, got {', '.join(order)}"
    accounts: dict[str, str] = {}
    for name in order:
        if not isinstance(stages[name], Mapping):
            continue  # the loader names the setting that is not a mapping
        account = stages[name].get("account")
        if not account:
            return f"missing setting stages.{name}.account: stage {name} is promoted (context promotion), so it names the 12-digit account it deploys to"
        if account in accounts:
            return (
                f"invalid setting stages.{name}.account: {account} is already stage {accounts[account]}'s; each promoted stage "
                "deploys to its own account (its role, execution policy and Data Catalog encryption are one per account)"
            )
        accounts[account] = name
    return None
