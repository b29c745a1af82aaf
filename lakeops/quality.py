"""``data-quality``: run a dataset's Glue Data Quality ruleset on its curated table, print the score.

The ruleset, the table and the role the evaluation runs as are the catalog stack's, published
under `catalog/datasets/<name>/`. The evaluation is a Glue job: it takes minutes, and it is billed
per DPU-hour (Glue Data Quality pricing), so the CLI runs it only when asked.
"""

from dataclasses import dataclass

from lakeops.discovery import dataset_param
from lakeops.errors import LakeOpsError
from lakeops.waiting import custom_waiter, wait_for


@dataclass
class RuleOutcome:
    rule: str
    result: str  # PASS / FAIL / ERROR
    message: str


@dataclass
class QualityReport:
    dataset: str
    ruleset: str
    table: str
    run_id: str
    score: float
    rules: list[RuleOutcome]

    @property
    def passed(self) -> int:
        return sum(rule.result == "PASS" for rule in self.rules)


def evaluate(lake, dataset: str, timeout: float) -> QualityReport:
    ruleset, role, table = lake.require(*(dataset_param(dataset, p) for p in ("data-quality-ruleset", "data-quality-role", "curated-table")))
    database = lake.param("catalog/curated-database")
    glue = lake.client("glue")
    run_id = glue.start_data_quality_ruleset_evaluation_run(
        DataSource={"GlueTable": {"DatabaseName": database, "TableName": table}}, Role=role, RulesetNames=[ruleset]
    )["RunId"]
    lake.progress(f"  started Data Quality run {run_id} of ruleset {ruleset} on {database}.{table}")
    wait_for(
        custom_waiter("DataQualityRunFinished", glue),
        label=f"Data Quality run {run_id}", state_path="Status", timeout=timeout,
        poll_interval=lake.poll_interval, progress=lake.progress,
        on_timeout=f"check it with 'aws glue get-data-quality-ruleset-evaluation-run --run-id {run_id}'.",
        RunId=run_id,
    )
    run = glue.get_data_quality_ruleset_evaluation_run(RunId=run_id)
    if run["Status"] != "SUCCEEDED":
        raise LakeOpsError(
            f"Data Quality run {run_id} of ruleset {ruleset} {run['Status']}: {run.get('ErrorString', '(no error given)')}\n"
            f"  The run's role is {role}; it must read {database}.{table} and its files."
        )
    rules, scores = [], []
    for result_id in run.get("ResultIds", []):
        result = glue.get_data_quality_result(ResultId=result_id)
        scores.append(result.get("Score", 0.0))
        for outcome in result.get("RuleResults", []):
            rules.append(RuleOutcome(
                outcome.get("EvaluatedRule") or outcome.get("Description") or outcome["Name"],
                outcome.get("Result", "ERROR"),
                outcome.get("EvaluationMessage", ""),
            ))
    if not scores:
        raise LakeOpsError(f"Data Quality run {run_id} of ruleset {ruleset} SUCCEEDED but returned no result")
    return QualityReport(dataset, ruleset, f"{database}.{table}", run_id, min(scores), rules)
