"""The documentation's cost tables, computed from the price file and the shipped settings.

Prices live in docs/cost/prices.yaml (one region, with the date and source of each group); the
quantities come from cdk.json through lake_config (instance types, capacity units, volume size,
datasets, the stage's NAT choice). The mkdocs hook renders the tables into docs/cost.md when the
site is built (scripts/docs_pages.py), so they are always those of the configuration then.

    python scripts/cost_tables.py    # prints every table
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from lake_config import load_settings  # noqa: E402
from lake_config.emr_settings import capacity_units  # noqa: E402
from lake_config.models import LakeSettings  # noqa: E402

if str(ROOT / "scripts") not in sys.path:
    sys.path.insert(0, str(ROOT / "scripts"))
import config_reference  # noqa: E402

PRICES_FILE = ROOT / "docs" / "cost" / "prices.yaml"
# What a dev month runs, beyond the settings: a run is about a quarter of an hour of cluster,
# crawls and data-quality evaluations are billed at 2 DPU (AWS's pricing example) with a
# 10-minute minimum per crawl and about 3 minutes per evaluation, a run makes about 170 state
# transitions and a sweep about 4, the sweeper runs hourly.
RUNS_PER_MONTH = 30
RUN_HOURS = 0.25
CRAWL_DPU, CRAWL_MINUTES = 2, 10
DQ_DPU, DQ_MINUTES = 2, 3
TRANSITIONS_PER_RUN, TRANSITIONS_PER_SWEEP, SWEEPS_PER_MONTH = 170, 4, 720
# The monitoring stack's alarm metrics: two Athena alarms of two metrics each, one queue alarm.
ALARM_METRICS = 5
# Endpoints a cluster needs without NAT (network.interface_endpoints), over the two AZs.
ISOLATED_ENDPOINTS = ("glue", "kms", "sts", "ssm", "ssmmessages", "ec2messages", "elasticmapreduce")
AZS = 2


@cache
def prices() -> dict:
    return yaml.safe_load(PRICES_FILE.read_text())


def shipped(stage: str) -> LakeSettings:
    return load_settings({**config_reference.cdk_context(), "stage": stage})


def money(value: float, digits: int = 2) -> str:
    return f"{value:,.{digits}f}"


def _instance(name: str) -> dict:
    return prices()["ec2"]["instances"][name]


@dataclass(frozen=True)
class Fleet:
    """Hourly cost of the stage's cluster from its first instance type of each fleet."""

    primary: float
    core: float
    task: float
    ebs: float
    grown_units: int
    grown: float
    unit_spot: float
    unit_on_demand: float

    @property
    def at_rest(self) -> float:
        return self.primary + self.core + self.task + self.ebs


def fleet(settings: LakeSettings) -> Fleet:
    emr, hours, gp3 = settings.emr, prices()["hours_per_month"], prices()["ec2"]["ebs_gp3_per_gb_month"]
    primary, core, task = (_instance(t[0]) for t in (emr.primary_instance_types, emr.core_instance_types, emr.task_instance_types))
    core_nodes = emr.core_capacity_units // capacity_units(emr.core_instance_types[0])
    task_nodes = emr.task_spot_capacity_units // capacity_units(emr.task_instance_types[0])
    nodes = 1 + core_nodes + task_nodes
    unit_spot = task["spot_example"] + task["emr_fee"]
    grown_units = emr.max_capacity_units - emr.core_capacity_units - emr.task_spot_capacity_units
    volume = emr.ebs_volume_size_gib * gp3 / hours
    return Fleet(
        primary=primary["on_demand"] + primary["emr_fee"],
        core=core_nodes * (core["on_demand"] + core["emr_fee"]),
        task=task_nodes * unit_spot,
        ebs=nodes * volume,
        grown_units=grown_units,
        grown=grown_units * (unit_spot + volume),
        unit_spot=unit_spot,
        unit_on_demand=task["on_demand"] + task["emr_fee"],
    )


def emr_prices_table() -> str:
    types = shipped("dev").emr.task_instance_types
    rows = ["| type | units | EC2 on-demand $/h | EC2 spot $/h (example) | EMR fee $/h |", "|---|---:|---:|---:|---:|"]
    for name in dict.fromkeys([*shipped("dev").emr.primary_instance_types, *types]):
        p = _instance(name)
        rows.append(f"| {name} | {capacity_units(name)} | {p['on_demand']} | ~{p['spot_example']} | {p['emr_fee']} |")
    return "\n".join(rows) + "\n"


def fleet_table() -> str:
    settings = shipped("dev")
    emr, f = settings.emr, fleet(settings)
    p, c, t = emr.primary_instance_types[0], emr.core_instance_types[0], emr.task_instance_types[0]
    nodes = 1 + emr.core_capacity_units // capacity_units(c) + emr.task_spot_capacity_units // capacity_units(t)
    gp3 = prices()["ec2"]["ebs_gp3_per_gb_month"]
    rows = [
        "| item | arithmetic | $/h |",
        "|---|---|---:|",
        f"| primary, 1 × {p} on-demand | {_instance(p)['on_demand']} + {_instance(p)['emr_fee']} | {money(f.primary, 3)} |",
        f"| core, {emr.core_capacity_units} units of {c} on-demand | {emr.core_capacity_units // capacity_units(c)} × ({_instance(c)['on_demand']} + {_instance(c)['emr_fee']}) | {money(f.core, 3)} |",
        f"| task, {emr.task_spot_capacity_units} unit of {t} on spot (example) | {_instance(t)['spot_example']} + {_instance(t)['emr_fee']} | {money(f.task, 3)} |",
        f"| EBS, {nodes} × {emr.ebs_volume_size_gib} GiB gp3 | {nodes * emr.ebs_volume_size_gib} × {gp3} / {prices()['hours_per_month']} | {money(f.ebs, 3)} |",
        f"| **cluster at rest** | | **≈ {money(f.at_rest)}** |",
        f"| task grown by {f.grown_units} units of {t} on spot | {f.grown_units} × {money(f.unit_spot, 4)} + {f.grown_units} × {emr.ebs_volume_size_gib} × {gp3} / {prices()['hours_per_month']} | + {money(f.grown)} |",
        f"| **cluster at `max_capacity_units` ({emr.max_capacity_units})** | | **≈ {money(f.at_rest + f.grown)}** |",
    ]
    return "\n".join(rows) + "\n"


def fleet_notes() -> str:
    dev, prod = shipped("dev"), shipped("prod")
    f, hours = fleet(dev), prices()["hours_per_month"]
    units = f.grown_units + dev.emr.task_spot_capacity_units
    job_minutes = 10 + dev.emr.idle_timeout_seconds // 60
    return (
        f"The same {units} task units on-demand would cost {units} × {money(f.unit_on_demand, 4)} = ${money(units * f.unit_on_demand)}/h "
        f"instead of {units} × {money(f.unit_spot, 4)} = ${money(units * f.unit_spot)}/h on spot. Idle auto-termination bounds the bill: "
        f"a 10-minute job on an idle cluster costs about {job_minutes} minutes of cluster (the job plus `idle_timeout_seconds`, "
        f"{dev.emr.idle_timeout_seconds} in dev), about ${money(f.at_rest * job_minutes / 60)}. A long-running cluster with "
        f"termination protection (prod) is budgeted as always on: {money(fleet(prod).at_rest)} × {hours} ≈ "
        f"${fleet(prod).at_rest * hours:,.0f} a month at rest. The KDC secret adds ${money(prices()['services']['secret_per_month'])} a month.\n"
    )


def _nat_month() -> dict[str, float]:
    n, ec2, hours = prices()["network"], prices()["ec2"], prices()["hours_per_month"]
    return {
        "gateway": n["nat_gateway_per_hour"] * hours,
        "ipv4": n["public_ipv4_per_hour"] * hours,
        "instance": ec2["nat_instance"]["on_demand"] * hours,
        "instance_disk": ec2["nat_instance"]["disk_gib"] * ec2["ebs_gp3_per_gb_month"],
    }


def network_table() -> str:
    n, ec2, hours = prices()["network"], prices()["ec2"], prices()["hours_per_month"]
    m = _nat_month()
    gateway, instance = m["gateway"] + m["ipv4"], m["instance"] + m["instance_disk"] + m["ipv4"]
    endpoints = len(ISOLATED_ENDPOINTS) * AZS * n["interface_endpoint_per_hour_per_az"] * hours
    rows = [
        "| network option | arithmetic | $/month | plus per GB |",
        "|---|---|---:|---:|",
        f"| one NAT gateway with its public IPv4 address (`nat_provider: gateway`) | ({n['nat_gateway_per_hour']} + {n['public_ipv4_per_hour']}) × {hours} | {money(gateway)} | {n['nat_gateway_per_gb']} |",
        f"| prod: two NAT gateways, one per AZ | 2 × {money(gateway)} | {money(2 * gateway)} | {n['nat_gateway_per_gb']} |",
        f"| one NAT instance {ec2['nat_instance']['type']} with its {ec2['nat_instance']['disk_gib']} GiB gp3 disk and IPv4 address (`nat_provider: instance`, dev) "
        f"| {ec2['nat_instance']['on_demand']} × {hours} + {ec2['nat_instance']['disk_gib']} × {ec2['ebs_gp3_per_gb_month']} + {n['public_ipv4_per_hour']} × {hours} | {money(instance)} | — |",
        f"| no NAT: {len(ISOLATED_ENDPOINTS)} interface endpoints in {AZS} AZs (`nat_gateways: 0`) | {len(ISOLATED_ENDPOINTS)} × {AZS} × {n['interface_endpoint_per_hour_per_az']} × {hours} | {money(endpoints)} | {n['interface_endpoint_per_gb']} |",
        f"| VPC flow logs | CloudWatch Logs ingestion, plus storage | — | {money(n['flow_logs_ingestion_per_gb'])} |",
    ]
    return "\n".join(rows) + "\n"


def dev_month() -> tuple[list[tuple[str, str, float]], list[tuple[str, str, float]]]:
    """(at rest, with the daily run): item, arithmetic, $/month for the shipped dev stage."""
    dev, s, hours = shipped("dev"), prices()["services"], prices()["hours_per_month"]
    m, datasets = _nat_month(), len(dev.datasets)
    nat = prices()["ec2"]["nat_instance"]
    n = prices()["network"]
    if dev.network.nat_provider == "instance":
        network = [
            (f"NAT instance {nat['type']}", f"{nat['on_demand']} × {hours}", m["instance"]),
            ("its public IPv4 address", f"{n['public_ipv4_per_hour']} × {hours}", m["ipv4"]),
            (f"its {nat['disk_gib']} GiB gp3 disk", f"{nat['disk_gib']} × {prices()['ec2']['ebs_gp3_per_gb_month']}", m["instance_disk"]),
        ]
    else:
        network = [("NAT gateways with their IPv4 addresses", f"{dev.network.nat_gateways} × ({money(m['gateway'])} + {money(m['ipv4'])})",
                    dev.network.nat_gateways * (m["gateway"] + m["ipv4"]))]
    crawl = datasets * RUNS_PER_MONTH * CRAWL_DPU * CRAWL_MINUTES / 60 * s["glue_dpu_hour"]
    at_rest = network + [
        ("KMS lake key", "1 key", s["kms_key_per_month"]),
        ("KDC admin password (Secrets Manager)", "1 secret", s["secret_per_month"]),
        ("CloudWatch alarms", f"{ALARM_METRICS} alarm metrics × {money(s['alarm_metric_per_month'])}", ALARM_METRICS * s["alarm_metric_per_month"]),
        ("CloudWatch dashboard", "1 (free if it is among the account's first 3)", s["dashboard_per_month"]),
        ("Glue crawlers", f"{datasets} raw crawls a day × {RUNS_PER_MONTH} × {CRAWL_DPU} DPU × {CRAWL_MINUTES}-minute minimum × {s['glue_dpu_hour']}/DPU-h", crawl),
    ]
    f = fleet(dev)
    transitions = RUNS_PER_MONTH * TRANSITIONS_PER_RUN + SWEEPS_PER_MONTH * TRANSITIONS_PER_SWEEP - s["step_functions_free_transitions"]
    running = [
        (f"daily transient cluster, ≈ {int(RUN_HOURS * 60)} minutes a run", f"{money(f.at_rest, 3)} × {RUN_HOURS} h × {RUNS_PER_MONTH} runs", f.at_rest * RUN_HOURS * RUNS_PER_MONTH),
        ("Glue Data Quality, in the daily run", f"{datasets} datasets × {RUNS_PER_MONTH} runs × {DQ_DPU} DPU × ≈ {DQ_MINUTES} minutes × {s['glue_dpu_hour']}/DPU-h",
         datasets * RUNS_PER_MONTH * DQ_DPU * DQ_MINUTES / 60 * s["glue_dpu_hour"]),
        ("Step Functions", f"({RUNS_PER_MONTH} runs × ≈ {TRANSITIONS_PER_RUN} + {SWEEPS_PER_MONTH} sweeps × ≈ {TRANSITIONS_PER_SWEEP} − {s['step_functions_free_transitions']:,} free) × {s['step_functions_per_transition']:.6f}",
         max(transitions, 0) * s["step_functions_per_transition"]),
        ("Scheduler, Lambda, SNS e-mail, EventBridge rules, logs, S3 for the sample data", "within the free quantities, or cents", s["small_items_per_month"]),
    ]
    return at_rest, running


def dev_month_table() -> str:
    at_rest, running = dev_month()
    rest = sum(v for *_, v in at_rest)
    total = rest + sum(v for *_, v in running)
    rows = ["| item | arithmetic | $/month |", "|---|---|---:|"]
    rows += [f"| {item} | {how} | {money(value)} |" for item, how, value in at_rest]
    rows.append(f"| **at rest** | | **{money(rest)}** |")
    rows += [f"| {item} | {how} | {money(value)} |" for item, how, value in running]
    rows.append(f"| **a month with a daily run** | | **≈ {total:,.0f}** |")
    return "\n".join(rows) + "\n"


def dev_month_notes() -> str:
    at_rest, running = dev_month()
    total = sum(v for *_, v in at_rest + running)
    m, dev, prod = _nat_month(), shipped("dev"), shipped("prod")
    instance, gateway = m["instance"] + m["instance_disk"] + m["ipv4"], m["gateway"] + m["ipv4"]
    return (
        f"The same stage with a NAT gateway (`nat_provider: gateway`) costs {money(m['gateway'])} + {money(m['ipv4'])} = ${money(gateway)} "
        f"instead of ${money(instance)}, ≈ ${total - instance + gateway:,.0f} a month: the NAT instance is what keeps the cheapest shipped "
        f"configuration under the ${dev.monitoring.budget.monthly_limit_usd} the budget watches. EMR Studio is free; dev's interactive cluster "
        f"bills like the curation cluster only while it is up (≈ ${money(fleet(dev).at_rest)} an hour). Athena adds "
        f"${prices()['services']['athena_per_tb']} per TB scanned. prod runs a long-running cluster (≈ ${fleet(prod).at_rest * prices()['hours_per_month']:,.0f} "
        f"a month at rest), {prod.network.nat_gateways} NAT gateways (≈ ${prod.network.nat_gateways * gateway:,.0f}), QuickSight and the same small "
        f"items; its budget is ${prod.monitoring.budget.monthly_limit_usd}.\n"
    )


def quicksight_pricing() -> str:
    q = prices()["quicksight"]
    return (
        f"QuickSight charges per user ({prices()['region']} prices of {q['as_of']}; check the "
        f"[pricing page](https://aws.amazon.com/quicksight/pricing/)): authors ${q['author_per_month']} per month "
        f"(Author Pro ${q['author_pro_per_month']}), readers ${q['reader_per_month']} per month (Reader Pro ${q['reader_pro_per_month']}); "
        f"each author brings {q['spice_included_per_author_gb']} GB of SPICE, more is ${money(q['spice_per_gb_month'])} per GB-month. "
        f"Accounts that kept the older reader pricing pay readers per session: ${money(q['reader_session'])} per 30-minute session, "
        f"capped at ${q['reader_session_monthly_cap']} per reader per month; capacity pricing instead buys blocks of reader sessions "
        "for the whole account. An embedded dashboard for a registered user is used by that user, so it counts like any other "
        "reader's use.\n"
    )


def dollar_amounts() -> list[str]:
    """Every `$` amount the QuickSight pricing paragraph must show after rendering."""
    q = prices()["quicksight"]
    return [f"${q['author_per_month']}", f"${q['author_pro_per_month']}", f"${q['reader_per_month']}", f"${q['reader_pro_per_month']}",
            f"${money(q['spice_per_gb_month'])}", f"${money(q['reader_session'])}", f"${q['reader_session_monthly_cap']}"]


def prices_note() -> str:
    p = prices()
    rows = [f"Region {p['region']}, USD, {p['hours_per_month']} hours a month, from `docs/cost/prices.yaml`:", "",
            "| prices | as of | sources |", "|---|---|---|"]
    for name in ("ec2", "network", "services", "quicksight"):
        rows.append(f"| {name} | {p[name]['as_of']} | {'; '.join(p[name]['sources'])} |")
    return "\n".join(rows) + "\n"


GENERATED = {
    "cost-prices-note": prices_note,
    "cost-emr-prices": emr_prices_table,
    "cost-emr-fleet": fleet_table,
    "cost-emr-fleet-notes": fleet_notes,
    "cost-network": network_table,
    "cost-dev-month": dev_month_table,
    "cost-dev-month-notes": dev_month_notes,
    "cost-quicksight-pricing": quicksight_pricing,
}

if __name__ == "__main__":
    for name, render in GENERATED.items():
        print(f"<!-- {name} -->\n{render()}")
