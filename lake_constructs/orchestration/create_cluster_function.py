"""The function that creates a pipeline run's transient cluster, so the KDC password stays out of Step Functions."""
from pathlib import Path

from aws_cdk import Acknowledgment, Aws, Duration, Validations
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from compliance.finding_ids import framework_rule_ids, iam5_resource
from lake_constructs.processing.emr_tls_certificate import ENI_ACTIONS, RUNTIME

SRC = str(Path(__file__).resolve().parents[2] / "lambdas" / "create_cluster")
# The tag that ties a transient cluster to the execution that created it (the sweeper reads it).
EXECUTION_TAG = "pipeline-execution"
# RunJobFlow passes both roles to EMR; the China partitions name the service differently.
EMR_SERVICE = ("elasticmapreduce.amazonaws.com", "elasticmapreduce.amazonaws.com.cn")
CONCURRENCY_RULES = framework_rule_ids("LambdaConcurrency")
DLQ_RULES = framework_rule_ids("LambdaDLQ")


class CreateClusterFunction(Construct):
    """Runs RunJobFlow for the pipeline with the password read from Secrets Manager.

    Secures: the KDC admin password: Step Functions passes the request without it and gets back
    only the cluster id, so it appears in no execution history, state machine definition or
    template. The role may create clusters only when the request tags them with this stage and
    with an execution of `state_machine_name` (aws:RequestTag conditions), pass exactly the
    cluster's two roles and only to EMR, read exactly `password` (and decrypt the lake key only
    through Secrets Manager), describe only this stage's clusters, and write only its own log
    group (encrypted with the lake key). It runs in the cluster subnets with HTTPS out only.
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
    ) -> None:
        super().__init__(scope, id)
        log_group = logs.LogGroup(self, "LogGroup", encryption_key=key, retention=log_retention)
        execution_pattern = f"arn:{Aws.PARTITION}:states:{Aws.REGION}:{Aws.ACCOUNT_ID}:execution:{state_machine_name}:*"
        clusters = f"arn:{Aws.PARTITION}:elasticmapreduce:{Aws.REGION}:{Aws.ACCOUNT_ID}:cluster/*"
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description="Pipeline create-cluster function: RunJobFlow for this stage's runs, the KDC password, its logs.",
            statements=[
                iam.PolicyStatement(actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[log_group.log_group_arn]),
                iam.PolicyStatement(actions=list(ENI_ACTIONS), resources=["*"]),
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
                    actions=["elasticmapreduce:DescribeCluster"],
                    resources=[clusters],
                    conditions={"StringEquals": {"aws:ResourceTag/stage": stage}},
                ),
                iam.PolicyStatement(
                    actions=["iam:PassRole"],
                    resources=[service_role.role_arn, instance_role.role_arn],
                    conditions={"StringEquals": {"iam:PassedToService": list(EMR_SERVICE)}},
                ),
                iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=[password.secret_arn]),
                iam.PolicyStatement(
                    actions=["kms:Decrypt"],
                    resources=[key.key_arn],
                    conditions={"StringEquals": {"kms:ViaService": f"secretsmanager.{Aws.REGION}.amazonaws.com"}},
                ),
            ],
        )
        Validations.of(self.policy).acknowledge(
            Acknowledgment(
                id=iam5_resource(self, "*"),
                reason="Create-cluster function: RunJobFlow, AddTags and ListClusters take no resource ARN (the cluster "
                "does not exist yet), so RunJobFlow is bounded by aws:RequestTag conditions instead; the VPC "
                f"interface actions ({', '.join(ENI_ACTIONS)}) are documented on Resource '*'.",
            ),
            Acknowledgment(
                id=iam5_resource(self, clusters),
                reason="Create-cluster function: it describes clusters of this stage only (aws:ResourceTag/stage) to find "
                "the one its run already created; their ids are assigned at launch.",
            ),
        )
        role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Creates the pipeline's transient EMR clusters.",
            managed_policies=[self.policy],
        )
        security_group = ec2.SecurityGroup(
            self, "SecurityGroup", vpc=vpc, description="Pipeline create-cluster function: HTTPS out only", allow_all_outbound=False
        )
        security_group.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS to the EMR and Secrets Manager APIs")
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler="handler.handler",
            code=lambda_.Code.from_asset(SRC, exclude=["__pycache__", "*.pyc", "*.md"]),
            description="Pipeline: creates the run's transient EMR cluster with the KDC password from Secrets Manager.",
            timeout=Duration.minutes(2),
            memory_size=256,
            role=role,
            log_group=log_group,
            vpc=vpc,
            vpc_subnets=vpc_subnets,
            security_groups=[security_group],
            environment={"KDC_PASSWORD_SECRET_ARN": password.secret_arn, "EXECUTION_TAG": EXECUTION_TAG},
        )
        Validations.of(self.function).acknowledge(
            *(
                Acknowledgment(
                    id=rule,
                    reason="Invoked synchronously by the pipeline's state machine only, which retries it and routes "
                    "every failure to its cleanup; an asynchronous dead-letter queue would never receive anything.",
                )
                for rule in DLQ_RULES
            ),
            *(
                Acknowledgment(
                    id=rule,
                    reason="One invocation per pipeline run. Reserving concurrency can make the function impossible to "
                    "create in accounts whose Lambda quota is 10 (Lambda keeps 100 executions unreserved).",
                )
                for rule in CONCURRENCY_RULES
            ),
        )
