"""Publishes the names users and tools need, as SSM parameters and stack outputs."""
from aws_cdk import CfnOutput
from aws_cdk import aws_ssm as ssm
from constructs import Construct


class Discovery(Construct):
    """Every name goes to `/<project>/<stage>/<section>/<name>` in SSM and to a stack output.

    The operations CLI reads the SSM path, so nothing but the stage is typed by hand; the
    outputs show the same values in the console and in `cdk deploy`'s summary.
    """

    def __init__(self, scope: Construct, id: str, *, ssm_prefix: str, section: str) -> None:
        super().__init__(scope, id)
        self.path = f"{ssm_prefix}/{section}"

    def publish(self, name: str, value: str, description: str) -> ssm.StringParameter:
        parameter = ssm.StringParameter(
            self, name, parameter_name=f"{self.path}/{name}", string_value=value, description=description
        )
        # The output reads the parameter, so a value from another stack (Fn::GetStackOutput) sits in
        # the parameter's properties only, never in an Output, a position CloudFormation accepted
        # later than resource properties (docs/aws-rules-settled.md).
        CfnOutput(self, f"{name}-output", value=parameter.string_value, description=description)
        return parameter
