"""What GitHub Actions may do in one target account, through GitHub's OIDC provider: no AWS keys.

- The deploy role: only jobs of one repository running in one GitHub environment (the stage's,
  protected by required reviewers in the repository's settings) may assume it. It may assume the
  CDK bootstrap's deploy, file-publishing and lookup roles (so CloudFormation does the work, with
  the execution policies below instead of AdministratorAccess) and make the smoke test's calls on
  its stage. It cannot create or change anything itself.
- The diff role: only this repository's pull-request jobs (GitHub gives forks' pull requests no
  OIDC token) may assume it; it may assume the bootstrap's lookup role (read-only) and nothing else,
  which is all `cdk diff --method template` needs (its --help: "compares templates directly and uses the
  lookup role"; aws/aws-cdk#29718).
- The execution policies: generated from the stages' templates (bootstrap/execution_policy.py),
  one managed policy per document, for `cdk bootstrap --cloudformation-execution-policies`.

Trust follows "Configuring OpenID Connect in Amazon Web Services" (GitHub docs): the audience
`sts.amazonaws.com` and an exact `sub` in StringEquals, never a wildcard over the repository.
"""
from __future__ import annotations

import json

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from lake_config import LakeSettings

GITHUB_ISSUER = "token.actions.githubusercontent.com"
AUDIENCE = "sts.amazonaws.com"
ACCOUNT_VARIABLE = "${aws:PrincipalAccount}"


def trust_conditions(subject: str) -> dict:
    return {"StringEquals": {f"{GITHUB_ISSUER}:aud": AUDIENCE, f"{GITHUB_ISSUER}:sub": subject}}


def smoke_test_statements(*, settings: LakeSettings, account: str) -> list[iam.PolicyStatement]:
    """What `lakeops --stage <stage> smoke-test` and `check-quicksight` call: the stage's parameters,
    buckets, key (by alias), catalog, workgroup, cluster (by its stage tag), pipeline and the
    account's QuickSight subscription. Reads and one sample upload. Names as the stacks make them
    (the settings' prefixes: Glue's has underscores for a project's hyphens)."""
    prefix, glue, ssm, stage = settings.prefix, settings.glue_prefix, settings.ssm_prefix, settings.stage

    def regional(service: str, resource: str) -> str:
        return f"arn:*:{service}:*:{account}:{resource}"

    return [
        iam.PolicyStatement(sid="SmokeTestDiscovery", actions=["ssm:GetParametersByPath", "ssm:GetParameter"],
                            resources=[regional("ssm", f"parameter{ssm}"), regional("ssm", f"parameter{ssm}/*")]),
        iam.PolicyStatement(sid="SmokeTestBuckets",
                            actions=["s3:ListBucket", "s3:GetObject", "s3:PutObject", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads"],
                            resources=[f"arn:*:s3:::{prefix}-*"]),
        iam.PolicyStatement(sid="SmokeTestLakeKeyThroughS3AndAthena", actions=["kms:GenerateDataKey", "kms:Decrypt", "kms:DescribeKey"],
                            resources=[regional("kms", "key/*")],
                            conditions={"ForAnyValue:StringEquals": {"kms:ResourceAliases": f"alias/{prefix}-lake"}}),
        iam.PolicyStatement(sid="SmokeTestCatalog",
                            actions=["glue:StartCrawler", "glue:GetCrawler", "glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:GetPartitions"],
                            resources=[regional("glue", "catalog"), regional("glue", f"crawler/{prefix}-*"),
                                       regional("glue", f"database/{glue}_*"), regional("glue", f"table/{glue}_*/*")]),
        iam.PolicyStatement(sid="SmokeTestQueries",
                            actions=["athena:GetWorkGroup", "athena:ListNamedQueries", "athena:BatchGetNamedQuery", "athena:StartQueryExecution",
                                     "athena:GetQueryExecution", "athena:GetQueryResults"],
                            resources=[regional("athena", f"workgroup/{prefix}")]),
        iam.PolicyStatement(sid="SmokeTestCurationStep",
                            actions=["elasticmapreduce:DescribeCluster", "elasticmapreduce:AddJobFlowSteps", "elasticmapreduce:DescribeStep",
                                     "elasticmapreduce:ListSteps"],
                            resources=[regional("elasticmapreduce", "cluster/*")],
                            conditions={"StringEquals": {"aws:ResourceTag/stage": stage}}),
        # make deploy-quicksight-assembly's check (lakeops check-quicksight): the subscription; the
        # manifest and the curated tables are read through the statements above.
        iam.PolicyStatement(sid="QuickSightPreDeployCheck", actions=["quicksight:DescribeAccountSubscription"], resources=["*"]),
        iam.PolicyStatement(sid="SmokeTestPipelineRun", actions=["states:StartExecution"], resources=[regional("states", f"stateMachine:{prefix}-*")]),
        iam.PolicyStatement(sid="SmokeTestFollowsItsRun", actions=["states:DescribeExecution", "states:GetExecutionHistory"],
                            resources=[regional("states", f"execution:{prefix}-*:*")]),
    ]


class GitHubDeployAccess(Construct):
    """The OIDC provider (or an existing one), the deploy and diff roles and the execution policies of one account."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: LakeSettings,
        repository: str,
        environment: str,
        execution_policies: list[dict],
        oidc_provider_arn: str | None = None,
        qualifier: str = "hnb659fds",
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        project, stage = settings.project, settings.stage
        if oidc_provider_arn is None:
            # One per account: IAM refuses a second provider for the same URL (pass its ARN instead).
            provider = iam.CfnOIDCProvider(self, "GitHubProvider", url=f"https://{GITHUB_ISSUER}", client_id_list=[AUDIENCE])
            oidc_provider_arn = provider.attr_arn

        def bootstrap_role(kind: str) -> str:
            return f"arn:{stack.partition}:iam::{stack.account}:role/cdk-{qualifier}-{kind}-role-{stack.account}-*"

        self.deploy_role = iam.Role(
            self, "DeployRole",
            role_name=f"{project}-{stage}-github-deploy",
            description=f"GitHub Actions of {repository}, environment {environment}: deploys stage {stage} through the CDK bootstrap roles",
            assumed_by=iam.FederatedPrincipal(oidc_provider_arn, trust_conditions(f"repo:{repository}:environment:{environment}"),
                                              "sts:AssumeRoleWithWebIdentity"),
            max_session_duration=Duration.hours(3),  # a prod deploy with its long-running cluster, then the smoke test
        )
        self.deploy_role.add_to_policy(iam.PolicyStatement(
            sid="CdkDeployThroughTheBootstrapRoles", actions=["sts:AssumeRole"],
            resources=[bootstrap_role(kind) for kind in ("deploy", "file-publishing", "lookup")]))
        for statement in smoke_test_statements(settings=settings, account=stack.account):
            self.deploy_role.add_to_policy(statement)

        self.diff_role = iam.Role(
            self, "DiffRole",
            role_name=f"{project}-{stage}-github-diff",
            description=f"GitHub Actions of {repository}, pull requests: cdk diff of stage {stage}, read-only",
            assumed_by=iam.FederatedPrincipal(oidc_provider_arn, trust_conditions(f"repo:{repository}:pull_request"),
                                              "sts:AssumeRoleWithWebIdentity"),
            max_session_duration=Duration.hours(1),
        )
        self.diff_role.add_to_policy(iam.PolicyStatement(sid="CdkDiffThroughTheLookupRole", actions=["sts:AssumeRole"],
                                                         resources=[bootstrap_role("lookup")]))

        self.execution_policies = [
            iam.CfnManagedPolicy(self, f"ExecutionPolicy{n}", managed_policy_name=f"{project}-cfn-execution-{n}",
                                 # CloudFormation's schema wants the account in a Resource ARN, not a policy variable.
                                 policy_document=json.loads(json.dumps(document).replace(ACCOUNT_VARIABLE, stack.account)),
                                 description=f"CloudFormation execution policy {n}/{len(execution_policies)} of the {project} stages (bootstrap/execution_policy.py)")
            for n, document in enumerate(execution_policies, start=1)
        ]
        CfnOutput(self, "DeployRoleArn", value=self.deploy_role.role_arn)
        CfnOutput(self, "DiffRoleArn", value=self.diff_role.role_arn)
        CfnOutput(self, "ExecutionPolicyArns", value=",".join(policy.ref for policy in self.execution_policies))
