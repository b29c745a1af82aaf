"""The curation pipeline's states, composed by CDK (see pipeline_definition.py for the flow).

Built backwards, each part given the state it continues with: a stage's variant (its cluster
mode, a curated crawler, datasets with rulesets) decides which parts there are, so a stage
without rulesets has no data-quality states at all.
"""
from aws_cdk import Duration
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from lake_config import LakeSettings
from lake_constructs.orchestration.pipeline_definition import PipelinePlan
from lake_constructs.orchestration.task_states import any_of, catch_all, describe_cluster, invoke, poll_counter, task, terminate

CLUSTER_USABLE = ("WAITING", "RUNNING")
STEP_ENDED = ("FAILED", "CANCELLED", "INTERRUPTED")
EVALUATION_ENDED = ("FAILED", "STOPPED", "TIMEOUT")


class PipelineStates(Construct):
    """The states of one stage's pipeline: `start` for its definition, `timeout` and `comment`
    for its state machine.

    Guarantees (tests/orchestration checks them statically and in moto): every path after the
    pipeline creates a cluster terminates it, every state that can fail while a run holds one
    catches everything, and every wait is a bounded poll.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        settings: LakeSettings,
        plan: PipelinePlan,
        cluster_function: str,
        cluster_request: dict | None = None,
        cluster_id_parameter: str | None = None,
        emr_stack: str,
    ) -> None:
        super().__init__(scope, id)
        self._pipeline = settings.pipeline
        self._function = cluster_function
        self._poll = sfn.WaitTime.duration(Duration.seconds(self._pipeline.poll_seconds))
        transient = settings.emr.mode == "transient"
        with_quality = any(step["quality"]["enabled"] for step in plan.steps)
        self.timeout = Duration.minutes(self._pipeline.timeout_minutes)
        self.comment = f"{settings.prefix} curation pipeline ({settings.emr.mode} cluster): see lake_constructs/orchestration."

        self._abandon = self._abandon_transient() if transient else sfn.Fail(
            self, "Abandon", comment="The long-running cluster is left as it is.", error_path="$.error.Error", cause_path="$.error.Cause")
        after: sfn.IChainable = sfn.Pass(self, "Done", output_path="$.summary")
        if with_quality:
            after = self._fail_if_any_failed("$.quality", ("QualityPassedAll", "AnyQualityFailed", "DataQualityFailed"), "Pipeline.DataQualityFailed", after)
        if plan.crawler:
            failed = sfn.Fail(self, "CrawlFailedRun", error="Pipeline.CrawlFailed", cause_path="States.JsonToString($.summary)")
            after = sfn.Choice(self, "CrawlPassed").when(sfn.Condition.string_equals("$.crawl.outcome", "failed"), failed).otherwise(after)
        after = self._summary(plan, with_quality, after)
        if with_quality:
            after = self._data_quality(after)
        if plan.crawler:
            after = self._crawl(plan.crawler, after)
        if transient:
            release = terminate(
                self, "TerminateCluster", "$.cluster.id",
                comment="The steps are done (whatever their outcome): the crawl and the data-quality checks need no cluster.")
            catch_all(release, self._abandon)
            after = release.next(after)
        curate = self._curate(settings.emr.step_concurrency_level, after)
        acquire = self._create_cluster(cluster_request, curate) if transient else self._find_cluster(cluster_id_parameter, emr_stack, curate)
        self.start = sfn.Pass(
            self,
            "Plan",
            comment="What this run does: the datasets, their steps and checks are fixed at synth from the settings.",
            parameters={
                "run": {"execution.$": "$$.Execution.Id", "name.$": "$$.Execution.Name"},
                "plan": {"datasets": plan.steps, "log_uri": plan.log_uri},
                "crawler_polls": {"n": 0},
            },
        ).next(acquire)

    # --- getting a cluster --------------------------------------------------------------------

    def _create_cluster(self, request: dict | None, then: sfn.IChainable) -> sfn.IChainable:
        pipeline = self._pipeline
        run_job_flow = invoke(
            self, "RunJobFlow", self._function, {"Request": request, "ExecutionArn.$": "$.run.execution"},
            comment="The function adds the KDC admin password from Secrets Manager and tags the cluster with this execution.",
            result_selector={"id.$": "$.Payload.ClusterId"}, result_path="$.cluster", timeout_seconds=300,
        )
        wait = sfn.Wait(self, "WaitForCluster", time=self._poll)
        describe = describe_cluster(self, "DescribeCluster", self._function, "$.cluster.id",
                                    {"State.$": "$.Payload.State", "Status.$": "$.Payload.Status"}, "$.cluster_status")
        not_described = sfn.Fail(self, "ClusterNotDescribed", error_path="$.describe_error.Error", cause_path="$.describe_error.Cause")
        undescribed = terminate(
            self, "TerminateUndescribedCluster", "$.cluster.id",
            comment="The cluster exists but its state cannot be read: end it here, since this branch's failure reaches the run's cleanup without the cluster id.",
        )
        catch_all(undescribed, not_described, "$.terminate_error")
        catch_all(describe, undescribed.next(not_described), "$.describe_error")
        terminated = sfn.Condition.string_matches("$.cluster_status.State", "TERMINAT*")
        reason = "$.cluster_status.Status.StateChangeReason.Code"
        slow = terminate(self, "TerminateSlowCluster", "$.cluster.id").next(sfn.Fail(
            self, "ClusterStartTimedOut", error="Cluster.StartTimedOut",
            cause_path=f"States.Format('EMR cluster {{}} was not WAITING after {pipeline.cluster_start_timeout_minutes} minutes; terminated it', $.cluster.id)"))
        state = (
            sfn.Choice(self, "ClusterState")
            .when(any_of("$.cluster_status.State", CLUSTER_USABLE), sfn.Pass(self, "ClusterReady", output_path="$.cluster"))
            .when(
                sfn.Condition.and_(terminated, sfn.Condition.is_present(reason), any_of(reason, ("INSTANCE_FAILURE", "INSTANCE_FLEET_TIMEOUT"))),
                sfn.Fail(self, "NoCapacity", error="Cluster.CapacityUnavailable",
                         cause_path="States.Format('EMR cluster {} could not get its instances: {}', $.cluster.id, States.JsonToString($.cluster_status.Status))"),
            )
            .when(terminated, sfn.Fail(
                self, "ClusterFailedToStart", error="Cluster.StartFailed",
                cause_path="States.Format('EMR cluster {} ended while starting: {}', $.cluster.id, States.JsonToString($.cluster_status.Status))"))
            .when(sfn.Condition.number_greater_than_equals("$.cluster_polls.n", pipeline.cluster_polls), slow)
            .otherwise(wait)
        )
        run_job_flow.next(wait).next(describe).next(poll_counter(self, "CountClusterPoll", "$.cluster_polls")).next(state)
        create = sfn.Parallel(
            self, "CreateCluster",
            comment="One attempt to get a WAITING cluster; the whole attempt is retried when EMR had no capacity.",
            parameters={"run.$": "$.run", "cluster_polls": {"n": 0}},
            result_selector={"first.$": "$[0]"},
            result_path="$.created",
        ).branch(run_job_flow)
        create.add_retry(errors=["Cluster.CapacityUnavailable"], interval=Duration.minutes(pipeline.capacity_retry_minutes),
                         backoff_rate=2, max_attempts=pipeline.capacity_retries)
        catch_all(create, self._abandon)
        created = sfn.Pass(self, "ClusterCreated", comment="The cluster of the attempt that got one.", input_path="$.created.first", result_path="$.cluster")
        return create.next(created).next(then)

    def _find_cluster(self, parameter: str | None, emr_stack: str, then: sfn.IChainable) -> sfn.IChainable:
        find = task(self, "FindCluster", "aws-sdk:ssm:getParameter", {"Name": parameter},
                    comment="The stage's long-running cluster, by the id the EMR stack publishes.",
                    result_selector={"id.$": "$.Parameter.Value"}, result_path="$.cluster")
        check = describe_cluster(self, "CheckCluster", self._function, "$.cluster.id",
                                 {"State.$": "$.Payload.State", "Status.$": "$.Payload.Status"}, "$.cluster_status")
        for state in (find, check):
            catch_all(state, self._abandon)
        not_usable = sfn.Fail(
            self, "ClusterNotUsable", error="Cluster.NotUsable",
            cause_path=f"States.Format('EMR cluster {{}} is {{}}: it cannot run steps. If it terminated, recreate stack {emr_stack} to get a new one: "
            "cdk destroy it, then make deploy (the whole stage: the stacks that read its outputs keep the old values until they are deployed again).', "
            "$.cluster.id, $.cluster_status.State)",
        )
        usable = sfn.Choice(self, "ClusterUsable").when(any_of("$.cluster_status.State", CLUSTER_USABLE), then).otherwise(not_usable)
        return find.next(check).next(usable)

    def _abandon_transient(self) -> sfn.IChainable:
        failed = sfn.Fail(self, "RunFailed", error_path="$.error.Error", cause_path="$.error.Cause")
        terminate_after_error = terminate(self, "TerminateAfterError", "$.cluster.id")
        catch_all(terminate_after_error, failed, "$.ignored_error")
        return (
            sfn.Choice(self, "Abandon", comment="Any failure: terminate this run's cluster if it got one, then fail with the original error.")
            .when(sfn.Condition.is_present("$.cluster.id"), terminate_after_error.next(failed))
            .otherwise(failed)
        )

    # --- the work -----------------------------------------------------------------------------

    def _curate(self, concurrency: int, then: sfn.IChainable) -> sfn.IChainable:
        pipeline = self._pipeline
        literal = sfn.Pass(self, "LiteralArgument", input_path="$.arg")
        run_argument = sfn.Pass(self, "RunArgument", parameters={"value.$": "States.Format($.arg.format, $.run_id)"}, output_path="$.value")
        arguments = sfn.Map(
            self, "RenderArguments",
            comment="The step's spark-submit arguments; {\"format\": ...} items take this run's id.",
            items_path="$.dataset.args",
            item_selector={"arg.$": "$$.Map.Item.Value", "run_id.$": "$.run.name"},
            result_path="$.args",
        ).item_processor(sfn.Choice(self, "ArgumentKind").when(sfn.Condition.is_string("$.arg"), literal).otherwise(run_argument))

        outcome = {"dataset.$": "$.dataset.name", "quality.$": "$.dataset.quality"}
        logs = {"step_id.$": "$.step.id", "logs.$": "States.Format('{}{}/steps/{}/', $.log_uri, $.cluster_id, $.step.id)"}

        def result(name: str, **fields) -> sfn.Pass:
            return sfn.Pass(self, name, parameters={**outcome, **fields})

        add_step = task(
            self, "AddStep", "aws-sdk:emr:addJobFlowSteps",
            {"JobFlowId.$": "$.cluster_id", "Steps": [{"Name.$": "$.dataset.step_name", "ActionOnFailure": "CONTINUE",
                                                       "HadoopJarStep": {"Jar": "command-runner.jar", "Args.$": "$.args"}}]},
            result_selector={"id.$": "$.StepIds[0]"}, result_path="$.step",
        )
        catch_all(add_step, result("StepNotSubmitted", outcome="failed", state="NOT_SUBMITTED", **{"error.$": "$.error"}))
        wait = sfn.Wait(self, "WaitForStep", time=self._poll)
        describe = task(self, "DescribeStep", "aws-sdk:emr:describeStep", {"ClusterId.$": "$.cluster_id", "StepId.$": "$.step.id"},
                        result_selector={"State.$": "$.Step.Status.State", "Status.$": "$.Step.Status"}, result_path="$.status")
        catch_all(describe, result("StepLost", outcome="failed", state="UNKNOWN", **logs, **{"error.$": "$.error"}))
        timed_out = result(
            "StepTimedOut", outcome="failed", state="TIMED_OUT", **logs,
            reason=f"no result within {pipeline.step_timeout_minutes} minutes (pipeline.step_timeout_minutes): the step was cancelled")
        cancel = task(self, "CancelStep", "aws-sdk:emr:cancelSteps",
                      {"ClusterId.$": "$.cluster_id", "StepIds.$": "States.Array($.step.id)", "StepCancellationOption": "TERMINATE_PROCESS"},
                      result_path="$.cancelled")
        catch_all(cancel, timed_out, "$.cancel_error")
        state = (
            sfn.Choice(self, "StepState")
            .when(sfn.Condition.string_equals("$.status.State", "COMPLETED"), result("StepCompleted", outcome="ok", state="COMPLETED", **logs))
            .when(any_of("$.status.State", STEP_ENDED),
                  result("StepFailed", outcome="failed", **{"state.$": "$.status.State"}, **logs, **{"status.$": "$.status.Status"}))
            .when(sfn.Condition.number_greater_than_equals("$.polls.n", pipeline.step_polls), cancel.next(timed_out))
            .otherwise(wait)
        )
        arguments.next(add_step).next(wait).next(describe).next(poll_counter(self, "CountStepPoll", "$.polls")).next(state)
        curate = sfn.Map(
            self, "Curate",
            comment="One curation step per dataset; a failed step is recorded and the others go on.",
            items_path="$.plan.datasets",
            max_concurrency=concurrency,
            item_selector={"dataset.$": "$$.Map.Item.Value", "run.$": "$.run", "cluster_id.$": "$.cluster.id",
                           "log_uri.$": "$.plan.log_uri", "polls": {"n": 0}},
            result_path="$.steps",
        ).item_processor(arguments)
        catch_all(curate, self._abandon)
        return curate.next(then)

    def _crawl(self, crawler: str, then: sfn.IChainable) -> sfn.IChainable:
        minutes = self._pipeline.step_timeout_minutes

        def outcome(name: str, **fields) -> sfn.Pass:
            return sfn.Pass(self, name, parameters={"crawler": crawler, **fields}, result_path="$.crawl").next(then)

        not_started = outcome("CrawlNotStarted", outcome="failed", **{"error.$": "$.error"})
        start = task(self, "StartCrawler", "aws-sdk:glue:startCrawler", {"Name": crawler}, result_path="$.crawler_started")
        wait = sfn.Wait(self, "WaitForCrawler", time=self._poll)
        start.add_catch(wait, errors=["Glue.CrawlerRunningException"], result_path="$.ignored_error")
        catch_all(start, not_started)
        get = task(self, "GetCrawler", "aws-sdk:glue:getCrawler", {"Name": crawler},
                   result_selector={"State.$": "$.Crawler.State", "Crawler.$": "$.Crawler"}, result_path="$.crawler")
        catch_all(get, not_started)
        ready = sfn.Condition.string_equals("$.crawler.State", "READY")
        last = "$.crawler.Crawler.LastCrawl.Status"
        state = (
            sfn.Choice(self, "CrawlerState")
            .when(sfn.Condition.and_(ready, sfn.Condition.is_present(last), sfn.Condition.string_equals(last, "SUCCEEDED")),
                  outcome("CrawlSucceeded", outcome="ok", **{"last_crawl.$": "$.crawler.Crawler.LastCrawl"}))
            .when(ready, outcome("CrawlFailed", outcome="failed", **{"last_crawl.$": "$.crawler.Crawler.LastCrawl"}))
            .when(sfn.Condition.number_greater_than_equals("$.crawler_polls.n", self._pipeline.step_polls),
                  outcome("CrawlTimedOut", outcome="failed", reason=f"still running after {minutes} minutes"))
            .otherwise(wait)
        )
        wait.next(get).next(poll_counter(self, "CountCrawlerPoll", "$.crawler_polls")).next(state)
        return start.next(wait)

    def _data_quality(self, then: sfn.IChainable) -> sfn.IChainable:
        pipeline = self._pipeline
        step = {"dataset.$": "$.step.dataset"}
        ruleset = {**step, "ruleset.$": "$.step.quality.ruleset"}
        error = sfn.Pass(self, "QualityError", parameters={**ruleset, "outcome": "failed", "error.$": "$.error"})
        start = task(
            self, "StartEvaluation", "aws-sdk:glue:startDataQualityRulesetEvaluationRun",
            {"DataSource": {"GlueTable": {"DatabaseName.$": "$.step.quality.database", "TableName.$": "$.step.quality.table"}},
             "Role.$": "$.step.quality.role", "RulesetNames.$": "States.Array($.step.quality.ruleset)", "NumberOfWorkers": 2,
             "Timeout": pipeline.step_timeout_minutes, "AdditionalRunOptions": {"CloudWatchMetricsEnabled": True}},
            result_selector={"id.$": "$.RunId"}, result_path="$.evaluation",
        )
        wait = sfn.Wait(self, "WaitForEvaluation", time=self._poll)
        get = task(self, "GetEvaluation", "aws-sdk:glue:getDataQualityRulesetEvaluationRun", {"RunId.$": "$.evaluation.id"},
                   result_selector={"Status.$": "$.Status", "Run.$": "$"}, result_path="$.evaluation_status")
        result = task(self, "GetResult", "aws-sdk:glue:getDataQualityResult", {"ResultId.$": "$.evaluation_status.Run.ResultIds[0]"},
                      result_selector={"Score.$": "$.Score", "RuleResults.$": "$.RuleResults"}, result_path="$.result")
        for state in (start, get, result):
            catch_all(state, error)
        ended = sfn.Pass(
            self, "EvaluationEnded",
            parameters={"Error": "DataQuality.EvaluationNotSucceeded", "Cause.$": "States.JsonToString($.evaluation_status.Run)"},
            result_path="$.error",
        ).next(error)
        scored = {**ruleset, "run_id.$": "$.evaluation.id", "score.$": "$.result.Score"}
        passed = (
            sfn.Choice(self, "RulesPassed")
            .when(sfn.Condition.number_less_than("$.result.Score", 1),
                  sfn.Pass(self, "QualityFailed", parameters={**scored, "outcome": "failed", "rules.$": "$.result.RuleResults"}))
            .otherwise(sfn.Pass(self, "QualityPassed", parameters={**scored, "outcome": "ok"}))
        )
        status = "$.evaluation_status.Status"
        state = (
            sfn.Choice(self, "EvaluationState")
            .when(sfn.Condition.string_equals(status, "SUCCEEDED"), result.next(passed))
            .when(any_of(status, EVALUATION_ENDED), ended)
            .when(sfn.Condition.number_greater_than_equals("$.polls.n", pipeline.step_polls), ended)
            .otherwise(wait)
        )
        start.next(wait).next(get).next(poll_counter(self, "CountEvaluationPoll", "$.polls")).next(state)
        has_ruleset = (
            sfn.Choice(self, "HasRuleset")
            .when(sfn.Condition.boolean_equals("$.step.quality.enabled", False),
                  sfn.Pass(self, "NoRuleset", parameters={**step, "outcome": "none", "reason": "the dataset has no ruleset"}))
            .when(sfn.Condition.string_equals("$.step.outcome", "ok"), start)
            .otherwise(sfn.Pass(self, "QualitySkipped", parameters={**step, "outcome": "skipped", "reason": "its curation step did not complete"}))
        )
        check = sfn.Map(
            self, "CheckQuality",
            comment="The Glue Data Quality ruleset of each curated dataset that has one, after its step succeeded.",
            items_path="$.steps", max_concurrency=2,
            item_selector={"step.$": "$$.Map.Item.Value", "polls": {"n": 0}},
            result_path="$.quality",
        ).item_processor(has_ruleset)
        catch_all(check, self._abandon)
        return check.next(then)

    # --- the outcome --------------------------------------------------------------------------

    def _summary(self, plan: PipelinePlan, with_quality: bool, then: sfn.IChainable) -> sfn.IChainable:
        summary = {"execution.$": "$.run.name", "cluster_id.$": "$.cluster.id", "steps.$": "$.steps"}
        if plan.crawler:
            summary["crawl.$"] = "$.crawl"
        if with_quality:
            summary["data_quality.$"] = "$.quality"
        summarize = sfn.Pass(
            self, "Summarize",
            comment="The execution's output: each step's result and log location, the crawl and the checks.",
            parameters=summary, result_path="$.summary",
        )
        return summarize.next(self._fail_if_any_failed("$.steps", ("StepsPassed", "AnyStepFailed", "StepsFailed"), "Pipeline.StepFailed", then))

    def _fail_if_any_failed(self, results: str, names: tuple[str, str, str], error: str, then: sfn.IChainable) -> sfn.IChainable:
        """Fails the run with `error`, the summary as its cause, if any outcome in the list at
        `results` is 'failed'; else goes on to `then`. `names`: the Pass that looks, the Choice, the Fail."""
        look, choose, fail = names
        flag = f"{results}_check"
        failed = sfn.Fail(self, fail, error=error, cause_path="States.JsonToString($.summary)")
        return sfn.Pass(
            self, look, parameters={"failed.$": f"States.ArrayContains({results}[*].outcome, 'failed')"}, result_path=flag,
        ).next(sfn.Choice(self, choose).when(sfn.Condition.boolean_equals(f"{flag}.failed", True), failed).otherwise(then))
