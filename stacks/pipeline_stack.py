"""The scheduled curation pipeline: state machine, transient-cluster creation, sweeper and schedules."""
from aws_cdk import Acknowledgment, Aws, Stack, Validations
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from constructs import Construct

from compliance.finding_ids import iam5_resource
from lake_config import LakeSettings
from lake_constructs.orchestration.pipeline_cluster_function import EXECUTION_TAG, PipelineClusterFunction
from lake_constructs.orchestration.curation_pipeline import LoggedStateMachine, cluster_arns, execution_arns
from lake_constructs.orchestration.pipeline_definition import PipelinePlan, QualityCheck, dataset_steps
from lake_constructs.orchestration.pipeline_states import PipelineStates
from lake_constructs.orchestration.state_machine_schedules import ScheduledStart, StateMachineSchedules
from lake_constructs.orchestration.sweeper_states import SweeperStates
from lake_constructs.shared.arns import regional_arn
from lake_constructs.shared.discovery_parameters import Discovery
from stacks.catalog_stack import CatalogStack
from stacks.emr_stack import EmrStack
from stacks.network_stack import RETENTION
from stacks.storage_stack import StorageStack, lake_bucket_name

# Run outcomes after which a run's cluster may still be up: a Catch does not run on these
# (aws-cdk issue 28697), and FAILED covers a create-cluster call that failed after EMR accepted it.
ENDED_WITHOUT_CLEANUP = ("ABORTED", "TIMED_OUT", "FAILED")


def pipeline_name(settings: LakeSettings) -> str:
    return f"{settings.prefix}-pipeline"


def sweeper_name(settings: LakeSettings) -> str:
    return f"{settings.prefix}-cluster-sweeper"


def topic_name(settings: LakeSettings) -> str:
    """The stage's notification topic (monitoring stack); named, so this stack needs no reference to it."""
    return f"{settings.prefix}-alerts"


def topic_arn(settings: LakeSettings) -> str:
    return regional_arn("sns", topic_name(settings))


def data_quality_checks(settings: LakeSettings, catalog: CatalogStack) -> dict[str, QualityCheck]:
    """The ruleset the catalog stack declares on each dataset's curated table, with the role
    its evaluation runs as; a dataset without one gets no data-quality state."""
    return {
        dataset.name: QualityCheck(
            database=catalog.curated_database_name,
            table=dataset.table,
            ruleset=catalog.datasets[dataset.name].ruleset.ruleset_name,
            role_arn=catalog.datasets[dataset.name].ruleset.role.role_arn,
        )
        for dataset in settings.datasets
        if dataset.name in catalog.datasets
    }


class PipelineStack(Stack):
    """Runs the lake unattended: every day (configurable) one execution curates every dataset.

    In `transient` mode each execution creates its own cluster from the EMR stack's cluster
    definition and terminates it as soon as the steps are done, on any failure (Catch), and -
    through the sweeper - when the execution is stopped, times out or fails outside its own
    cleanup. In `long_running` mode it uses the EMR stack's cluster and leaves it running.
    """

    def __init__(
        self, scope: Construct, id: str, *, settings: LakeSettings, storage: StorageStack, catalog: CatalogStack, emr: EmrStack, **kwargs
    ) -> None:
        super().__init__(scope, id, **kwargs)
        self.add_stack_dependency(emr)
        self._settings = settings
        key = storage.key
        pipeline = settings.pipeline
        retention = RETENTION[pipeline.log_retention_days]
        transient = settings.emr.mode == "transient"
        quality = data_quality_checks(settings, catalog)
        # None: the curated zone is not crawled (the job registers its partitions); a fork that
        # adds a curated crawler to the catalog stack gets a crawl state.
        crawler = getattr(catalog, "curated_crawler", None)
        plan = PipelinePlan(
            steps=dataset_steps(
                settings,
                script_uri=emr.script_uri,
                raw_bucket=lake_bucket_name(settings, "raw"),
                curated_bucket=lake_bucket_name(settings, "curated"),
                database=catalog.curated_database_name,
                quality=quality,
            ),
            log_uri=emr.log_uri,
            crawler=crawler.crawler_name if crawler else None,
        )
        self.cluster_function = PipelineClusterFunction(
            self,
            "ClusterFunction",
            password=emr.cluster.kdc_admin_password,
            key=key,
            service_role=emr.roles.service_role,
            instance_role=emr.roles.instance_role,
            state_machine_name=pipeline_name(settings),
            stage=settings.stage,
            vpc=emr.vpc,
            vpc_subnets=emr.subnets,
            log_retention=retention,
            can_create=transient,
            retain=settings.retain_data,
        )
        cluster_id_parameter = f"{settings.ssm_prefix}/emr/cluster-id"
        states = PipelineStates(
            self,
            "PipelineStates",
            settings=settings,
            plan=plan,
            cluster_function=self.cluster_function.function.function_arn,
            cluster_request=emr.cluster.request if transient else None,
            cluster_id_parameter=None if transient else cluster_id_parameter,
            emr_stack=emr.stack_name,
        )
        common = dict(key=key, log_retention=retention, retain_logs=settings.retain_data, tracing=pipeline.tracing)
        self.pipeline = LoggedStateMachine(
            self,
            "Pipeline",
            name=pipeline_name(settings),
            definition=states.start,
            comment=states.comment,
            timeout=states.timeout,
            statements=self._pipeline_statements(plan, quality, cluster_id_parameter),
            description=f"{settings.prefix} curation pipeline: gets a cluster, curates every dataset, checks the result.",
            **common,
        )
        self._acknowledge_clusters(self.pipeline)
        starts = [
            ScheduledStart.daily(
                f"{settings.prefix}-pipeline", self.pipeline.arn, pipeline.schedule, f"Starts the {settings.prefix} curation pipeline."
            )
        ]
        self.sweeper = None
        if transient:
            self.sweeper = self._sweeper(common)
            starts.append(
                ScheduledStart(
                    name=f"{settings.prefix}-cluster-sweeper",
                    expression=f"rate({pipeline.sweep_interval_minutes} minutes)",
                    state_machine_arn=self.sweeper.arn,
                    description=f"Terminates {settings.prefix} pipeline clusters whose run has ended.",
                )
            )
        self.schedules = StateMachineSchedules(self, "Schedules", schedules=starts, key=key, queue_name=f"{settings.prefix}-schedule-dlq")

        discovery = Discovery(self, "Discovery", ssm_prefix=settings.ssm_prefix, section="pipeline")
        discovery.publish("state-machine-arn", self.pipeline.state_machine.state_machine_arn, "ARN of the curation pipeline")
        discovery.publish("log-group", self.pipeline.log_group.log_group_name, "Log group of the pipeline's executions")
        discovery.publish("dead-letter-queue", self.schedules.dead_letter_queue.queue_url, "Schedule starts that failed")

    def _pipeline_statements(self, plan: PipelinePlan, quality: dict, cluster_id_parameter: str) -> list[iam.PolicyStatement]:
        settings = self._settings
        # No DescribeCluster: the cluster function describes clusters without their Kerberos attributes.
        actions = ["elasticmapreduce:AddJobFlowSteps", "elasticmapreduce:DescribeStep", "elasticmapreduce:CancelSteps"]
        statements = [iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[self.cluster_function.function.function_arn])]
        if settings.emr.mode == "transient":
            actions.append("elasticmapreduce:TerminateJobFlows")
        else:
            statements.append(
                iam.PolicyStatement(
                    actions=["ssm:GetParameter"],
                    resources=[regional_arn("ssm", f"parameter{cluster_id_parameter}")],
                )
            )
        # Only this stage's clusters: the long-running one and the transient ones carry its tags.
        statements.append(
            iam.PolicyStatement(
                actions=actions,
                resources=[cluster_arns()],
                conditions={"StringEquals": {"aws:ResourceTag/project": settings.project, "aws:ResourceTag/stage": settings.stage}},
            )
        )
        if plan.crawler:
            statements.append(
                iam.PolicyStatement(
                    actions=["glue:StartCrawler", "glue:GetCrawler"],
                    resources=[regional_arn("glue", f"crawler/{plan.crawler}")],
                )
            )
        if quality:
            rulesets = [
                regional_arn("glue", f"dataQualityRuleset/{check.ruleset}") for check in quality.values()
            ]
            statements += [
                iam.PolicyStatement(actions=["glue:StartDataQualityRulesetEvaluationRun"], resources=rulesets),
                iam.PolicyStatement(actions=["glue:GetDataQualityRulesetEvaluationRun", "glue:GetDataQualityResult"], resources=["*"]),
                iam.PolicyStatement(
                    actions=["iam:PassRole"],
                    resources=sorted({check.role_arn for check in quality.values()}, key=str),
                    conditions={"StringEquals": {"iam:PassedToService": "glue.amazonaws.com"}},
                ),
            ]
        return statements

    def _acknowledge_clusters(self, machine: LoggedStateMachine) -> None:
        Validations.of(machine.policy).acknowledge(
            Acknowledgment(
                id=iam5_resource(self, cluster_arns()),
                reason=f"State machine {machine.name}: it steps and ends clusters whose ids EMR assigns at launch; the "
                f"statement holds only clusters tagged project={self._settings.project} and stage={self._settings.stage}.",
            )
        )

    def _sweeper(self, common: dict) -> LoggedStateMachine:
        settings = self._settings
        states = SweeperStates(
            self,
            "SweeperStates",
            cluster_function=self.cluster_function.function.function_arn,
            cluster_name=settings.prefix,
            execution_tag=EXECUTION_TAG,
            topic_arn=topic_arn(settings),
            log_uri=f"s3://{lake_bucket_name(settings, 'logs')}/emr/",
        )
        statements = [
            iam.PolicyStatement(actions=["elasticmapreduce:ListClusters"], resources=["*"]),
            iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[self.cluster_function.function.function_arn]),
            iam.PolicyStatement(
                actions=["elasticmapreduce:TerminateJobFlows"],
                resources=[cluster_arns()],
                conditions={"StringEquals": {"aws:ResourceTag/project": settings.project, "aws:ResourceTag/stage": settings.stage}},
            ),
            iam.PolicyStatement(actions=["states:DescribeExecution"], resources=[execution_arns(pipeline_name(settings))]),
            iam.PolicyStatement(actions=["sns:Publish"], resources=[topic_arn(settings)]),
            # SNS encrypts the message with a data key from the lake key, for the publisher.
            iam.PolicyStatement(
                actions=["kms:GenerateDataKey", "kms:Decrypt"],
                resources=[common["key"].key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"sns.{Aws.REGION}.amazonaws.com"}},
            ),
        ]
        sweeper = LoggedStateMachine(
            self,
            "Sweeper",
            name=sweeper_name(settings),
            definition=states.start,
            comment=states.comment,
            statements=statements,
            description=f"{settings.prefix} cluster sweeper: terminates pipeline clusters whose run has ended.",
            **common,
        )
        self._acknowledge_clusters(sweeper)
        Validations.of(sweeper.policy).acknowledge(
            Acknowledgment(
                id=iam5_resource(self, execution_arns(pipeline_name(settings))),
                reason=f"Sweeper: it reads the status of any execution of {pipeline_name(settings)} (their names are "
                "generated per run); DescribeExecution reveals no data beyond the run's own input and output.",
            )
        )
        # The moment a run ends without its own cleanup, look for what it left.
        role = iam.Role(
            self,
            "SweepOnRunEndRole",
            assumed_by=iam.ServicePrincipal("events.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}}),
            description="EventBridge: starts the cluster sweeper when a pipeline run ends without its cleanup.",
        )
        start = iam.ManagedPolicy(
            self,
            "SweepOnRunEndPolicy",
            roles=[role],
            statements=[iam.PolicyStatement(actions=["states:StartExecution"], resources=[sweeper.arn])],
        )
        rule = events.Rule(
            self,
            "SweepOnRunEnd",
            description=f"A {pipeline_name(settings)} run ended {', '.join(ENDED_WITHOUT_CLEANUP)}: sweep its cluster.",
            event_pattern=events.EventPattern(
                source=["aws.states"],
                detail_type=["Step Functions Execution Status Change"],
                detail={"stateMachineArn": [self.pipeline.arn], "status": list(ENDED_WITHOUT_CLEANUP)},
            ),
            targets=[targets.SfnStateMachine(sweeper.state_machine, role=role.without_policy_updates())],
        )
        rule.node.add_dependency(start)
        self.sweep_rule = rule
        return sweeper
