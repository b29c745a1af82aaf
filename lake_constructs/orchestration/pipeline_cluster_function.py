"""The function through which the pipeline creates and describes clusters, so the KDC password stays out of Step Functions."""
from pathlib import Path

from aws_cdk import Acknowledgment, Aws, Duration, RemovalPolicy, Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from compliance.finding_ids import framework_rule_ids, iam5_resource
from lake_constructs.processing.emr_roles import EC2_SERVICE_NAMES
from lake_constructs.processing.emr_tls_certificate import ENI_ACTIONS, RUNTIME
from lake_constructs.shared.arns import regional_arn

SRC = str(Path(__file__).resolve().parents[2] / "lambdas" / "pipeline_cluster")
# The tag that ties a transient cluster to the execution that created it (the sweeper reads it).
EXECUTION_TAG = "pipeline-execution"
# RunJobFlow passes the service role to EMR and the instance profile's role to EC2, one statement
# each as in AWS's AmazonEMRFullAccessPolicy_v2; the China partitions name the services differently.
EMR_SERVICE = ["elasticmapreduce.amazonaws.com", "elasticmapreduce.amazonaws.com.cn"]
# EMR creates its cleanup service-linked role at an account's first cluster, with the caller's
# rights (EMR Management Guide, "Using service-linked roles for Amazon EMR for cleanup"); AWS's
# caller policy grants it for either spelling of the service, and so does this one.
CLEANUP_ROLE = "AWSServiceRoleForEMRCleanup"
CONCURRENCY_RULES = framework_rule_ids("LambdaConcurrency")
DLQ_RULES = framework_rule_ids("LambdaDLQ")


class PipelineClusterFunction(Construct):
    """Creates transient clusters (RunJobFlow with the password read from Secrets Manager) and
    describes clusters without their Kerberos attributes (lambdas/pipeline_cluster).

    Secures: the KDC admin password: Step Functions passes the request without it and gets back
    only the cluster id, and never calls DescribeCluster itself, so the password appears in no
    execution history, log, state machine definition or template. With `can_create` (transient
    mode) the role may create clusters only when the request tags them with this stage and with
    an execution of `state_machine_name` (aws:RequestTag conditions), pass exactly the cluster's
    service role to EMR and its instance role to EC2, create EMR's cleanup service-linked role
    (which EMR does at an account's first cluster, as the caller), and read exactly `password` (decrypting the lake key only through
    Secrets Manager); in every mode it describes only this stage's clusters and writes only its
    own log group (encrypted with the lake key). It runs in the cluster subnets, HTTPS out only.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        password: secretsmanager.ISecret,
        key: kms.IKey,
        service_role: iam.IRole,
        instance_role: iam.IRole,
        state_machine_name: str,
        stage: str,
        vpc: ec2.IVpc,
        vpc_subnets: ec2.SubnetSelection,
        log_retention: logs.RetentionDays,
        can_create: bool,
        retain: bool,
    ) -> None:
        super().__init__(scope, id)
        log_group = logs.LogGroup(
            self,
            "LogGroup",
            encryption_key=key,
            retention=log_retention,
            removal_policy=RemovalPolicy.RETAIN if retain else RemovalPolicy.DESTROY,
        )
        execution_pattern = regional_arn("states", f"execution:{state_machine_name}:*")
        clusters = regional_arn("elasticmapreduce", "cluster/*")
        describe = [
            iam.PolicyStatement(actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[log_group.log_group_arn]),
            iam.PolicyStatement(actions=list(ENI_ACTIONS), resources=["*"]),
            iam.PolicyStatement(
                actions=["elasticmapreduce:DescribeCluster"],
                resources=[clusters],
                conditions={"StringEquals": {"aws:ResourceTag/stage": stage}},
            ),
        ]
        create = [
            iam.PolicyStatement(
                actions=["elasticmapreduce:RunJobFlow", "elasticmapreduce:AddTags"],
                resources=["*"],
                conditions={
                    "StringEquals": {"aws:RequestTag/stage": stage},
                    "StringLike": {f"aws:RequestTag/{EXECUTION_TAG}": execution_pattern},
                },
            ),
            iam.PolicyStatement(actions=["elasticmapreduce:ListClusters"], resources=["*"]),
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[service_role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": EMR_SERVICE}},
            ),
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[instance_role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": EC2_SERVICE_NAMES}},
            ),
            iam.PolicyStatement(
                actions=["iam:CreateServiceLinkedRole"],
                resources=[f"arn:{Aws.PARTITION}:iam::{Aws.ACCOUNT_ID}:role/aws-service-role/{s}/{CLEANUP_ROLE}" for s in EMR_SERVICE],
                conditions={"StringEquals": {"iam:AWSServiceName": EMR_SERVICE}},
            ),
            iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=[password.secret_arn]),
            iam.PolicyStatement(
                actions=["kms:Decrypt"],
                resources=[key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"secretsmanager.{Aws.REGION}.amazonaws.com"}},
            ),
        ]
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description="Pipeline cluster function: describe this stage's clusters"
            + (", RunJobFlow for its runs with the KDC password" if can_create else "")
            + ", its logs.",
            statements=describe + (create if can_create else []),
        )
        Validations.of(self.policy).acknowledge(
            Acknowledgment(
                id=iam5_resource(self, "*"),
                reason="Pipeline cluster function: the VPC interface actions "
                f"({', '.join(ENI_ACTIONS)}) are documented on Resource '*'"
                + (
                    "; RunJobFlow, AddTags and ListClusters take no resource ARN (the cluster does not exist yet), "
                    "so RunJobFlow is bounded by aws:RequestTag conditions instead."
                    if can_create
                    else "."
                ),
            ),
            Acknowledgment(
                id=iam5_resource(self, clusters),
                reason="Pipeline cluster function: it describes clusters of this stage only (aws:ResourceTag/stage); "
                "their ids are assigned at launch.",
            ),
        )
        role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Creates and describes the pipeline's EMR clusters.",
            managed_policies=[self.policy],
        )
        security_group = ec2.SecurityGroup(
            self, "SecurityGroup", vpc=vpc, description="Pipeline cluster function: HTTPS out only", allow_all_outbound=False
        )
        security_group.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS to the EMR and Secrets Manager APIs")
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler="handler.handler",
            code=lambda_.Code.from_asset(SRC, exclude=["__pycache__", "*.pyc", "*.md"]),
            description="Pipeline: creates clusters with the KDC password from Secrets Manager, describes them without it.",
            timeout=Duration.minutes(2),
            memory_size=256,
            role=role,
            log_group=log_group,
            vpc=vpc,
            vpc_subnets=vpc_subnets,
            security_groups=[security_group],
            environment={"EXECUTION_TAG": EXECUTION_TAG, **({"KDC_PASSWORD_SECRET_ARN": password.secret_arn} if can_create else {})},
        )
        Validations.of(self.function).acknowledge(
            *(
                Acknowledgment(
                    id=rule,
                    reason="Invoked synchronously by the stage's state machines only, which retry it and route "
                    "every failure to their cleanup; an asynchronous dead-letter queue would never receive anything.",
                )
                for rule in DLQ_RULES
            ),
            *(
                Acknowledgment(
                    id=rule,
                    reason="A few invocations per pipeline run. Reserving concurrency can make the function impossible to "
                    "create in accounts whose Lambda quota is 10 (Lambda keeps 100 executions unreserved).",
                )
                for rule in CONCURRENCY_RULES
            ),
        )
