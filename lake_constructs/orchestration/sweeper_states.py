"""The cluster sweeper's states: terminates pipeline clusters whose run has ended.

An execution that is stopped or times out runs none of its own cleanup (aws-cdk issue 28697:
a Catch does not run then); the sweeper looks at every active cluster named like the stage's,
reads the run its tag names, and terminates the cluster when that run is no longer RUNNING.
"""
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from lake_config import pointers
from lake_constructs.orchestration.task_states import catch_all, describe_cluster, task, terminate

ACTIVE = ["STARTING", "BOOTSTRAPPING", "RUNNING", "WAITING"]


class SweeperStates(Construct):
    """The sweeper's states (`start`, `comment`): clusters named `cluster_name` whose
    `execution_tag` names a run that is no longer RUNNING are terminated, and `topic_arn` says so.

    Guarantees: a cluster whose run is still RUNNING, or that carries no run tag, is left alone;
    a failed notification never stops the sweep; a cluster that cannot be described or
    terminated (after the retries; termination protection, say) does not stop the sweep of the
    others on its page, and the run then fails naming it, so the failed-run alarm fires and the
    next scheduled sweep tries again.
    """

    def __init__(
        self, scope: Construct, id: str, *, cluster_function: str, cluster_name: str, execution_tag: str, topic_arn: str, log_uri: str
    ) -> None:
        super().__init__(scope, id)
        self.comment = "Terminates pipeline clusters whose run has ended (stopped, timed out or failed before its cleanup)."
        message = pointers.positional(pointers.LEFTOVER_CLUSTER, log_uri=log_uri)
        paths = {"cluster_id": "$.cluster.Id", "execution_arn": "$.run.arns[0]", "status": "$.run_status.status"}
        arguments = ", ".join(paths[field] for field in pointers.fields(pointers.LEFTOVER_CLUSTER) if field in paths)

        not_ours = sfn.Pass(self, "NotOurs", result=sfn.Result.from_object({"terminated": False}))
        notify = task(
            self, "Notify", "sns:publish",
            {"TopicArn": topic_arn, "Subject": f"{cluster_name}: terminated a cluster its pipeline run left behind",
             "Message.$": f"States.Format('{message}', {arguments})"},
            result_path="$.notified",
        )
        terminated = sfn.Pass(self, "Terminated", parameters={
            "terminated": True, "cluster_id.$": "$.cluster.Id", "run.$": "$.run.arns[0]", "run_status.$": "$.run_status.status"})
        catch_all(notify, terminated, "$.notify_error")
        not_swept = sfn.Pass(self, "NotSwept", parameters={
            "terminated": False, "not_swept": True, "cluster_id.$": "$.cluster.Id", "error.$": "$.sweep_error"})
        terminate_leftover = terminate(self, "TerminateLeftover", "$.cluster.Id")
        catch_all(terminate_leftover, not_swept, "$.sweep_error")
        leftover = terminate_leftover.next(notify).next(terminated)
        describe_run = task(self, "DescribeRun", "aws-sdk:sfn:describeExecution", {"ExecutionArn.$": "$.run.arns[0]"},
                            result_selector={"status.$": "$.Status"}, result_path="$.run_status")
        gone = sfn.Pass(self, "RunGone", result=sfn.Result.from_object({"status": "UNKNOWN (the execution cannot be described)"}),
                        result_path="$.run_status").next(leftover)
        catch_all(describe_run, gone, "$.run_error")
        run = (
            sfn.Pass(self, "RunOfCluster", parameters={"arns.$": f"$.described.Cluster.Tags[?(@.Key == '{execution_tag}')].Value"}, result_path="$.run")
            .next(describe_run)
            .next(sfn.Choice(self, "RunStillRunning")
                  .when(sfn.Condition.string_equals("$.run_status.status", "RUNNING"),
                        sfn.Pass(self, "InUse", result=sfn.Result.from_object({"terminated": False})))
                  .otherwise(leftover))
        )
        tagged = (
            sfn.Pass(self, "TagKeys", parameters={"tagged.$": f"States.ArrayContains($.described.Cluster.Tags[*].Key, '{execution_tag}')"},
                     result_path="$.tags")
            .next(sfn.Choice(self, "PipelineCluster").when(sfn.Condition.boolean_equals("$.tags.tagged", True), run).otherwise(not_ours))
        )
        describe = describe_cluster(self, "DescribeCandidate", cluster_function, "$.cluster.Id", {"Cluster.$": "$.Payload"}, "$.described")
        catch_all(describe, not_swept, "$.sweep_error")
        candidate = describe.next(
            sfn.Choice(self, "HasTags").when(sfn.Condition.is_present("$.described.Cluster.Tags[0]"), tagged).otherwise(not_ours))
        page = sfn.Map(
            self, "SweepPage",
            comment="One cluster at a time: there are a handful, and each may end in a termination and a message.",
            items_path="$.listing.Clusters", max_concurrency=1,
            item_selector={"cluster.$": "$$.Map.Item.Value"},
            result_path="$.swept",
        ).item_processor(
            sfn.Choice(self, "NamedLikeOurs").when(sfn.Condition.string_equals("$.cluster.Name", cluster_name), candidate).otherwise(not_ours)
        )
        done = sfn.Pass(self, "SweepDone", parameters={"last_page.$": "$.swept"})
        next_page = task(self, "ListNextPage", "aws-sdk:emr:listClusters", {"ClusterStates": ACTIVE, "Marker.$": "$.listing.Marker"},
                         result_path="$.listing").next(page)
        more_pages = sfn.Choice(self, "MorePages").when(sfn.Condition.is_present("$.listing.Marker"), next_page).otherwise(done)
        page_failed = sfn.Fail(self, "ClustersNotSwept", error="Sweeper.ClusterNotSwept", cause_path="States.JsonToString($.swept)")
        page.next(
            sfn.Pass(self, "PageSwept", parameters={"any.$": "States.ArrayContains($.swept[*].not_swept, true)"}, result_path="$.not_swept")
            .next(sfn.Choice(self, "AnyNotSwept").when(sfn.Condition.boolean_equals("$.not_swept.any", True), page_failed).otherwise(more_pages))
        )
        self.start = task(
            self, "ListClusters", "aws-sdk:emr:listClusters", {"ClusterStates": ACTIVE},
            comment="Every active cluster; ours carry the pipeline-execution tag of the run that created them.",
            result_path="$.listing",
        ).next(page)
