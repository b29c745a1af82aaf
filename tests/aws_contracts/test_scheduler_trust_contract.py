"""AWS's side of every EventBridge Scheduler schedule: Scheduler may assume the schedule's role.

EventBridge Scheduler User Guide, "Confused deputy prevention in EventBridge Scheduler"
(https://docs.aws.amazon.com/scheduler/latest/UserGuide/cross-service-confused-deputy-prevention.html):
"The value of aws:SourceArn must be your EventBridge Scheduler schedule group ARN ... Do not scope
the aws:SourceArn statement to a specific schedule or a schedule name prefix." Scheduler assumes
the role with aws:SourceArn = arn:<partition>:scheduler:<region>:<account>:schedule-group/<group>
and aws:SourceAccount = the account; the same role delivers to the dead-letter queue, so a trust
that refuses it also silences the alarm on that queue.
"""
import pytest

from tests.aws_contracts.iam_policy import ACCOUNT, REGION, allows, render

SCHEDULER = {"Service": "scheduler.amazonaws.com"}


@pytest.fixture(scope="module", params=["dev", "prod", "ephemeral"])
def synth(request):
    return request.getfixturevalue(request.param)


def schedules(synth) -> list[tuple[str, dict, dict]]:
    """(stack, schedule properties, its role's trust policy rendered) for every schedule of the stage."""
    found = []
    for short in synth.stacks:
        template = synth.template_json(short)
        resources = template["Resources"]
        for schedule in (r["Properties"] for r in resources.values() if r["Type"] == "AWS::Scheduler::Schedule"):
            (role,) = [v for k, v in schedule["Target"]["RoleArn"].items() if k == "Fn::GetAtt"]
            trust = render(resources[role[0]]["Properties"]["AssumeRolePolicyDocument"], template)
            found.append((short, render(schedule, template), trust))
    return found


def group_arn(group: str, account: str = ACCOUNT) -> str:
    return f"arn:aws:scheduler:{REGION}:{account}:schedule-group/{group}"


def test_scheduler_may_assume_every_schedules_role_as_it_calls(synth):
    found = schedules(synth)
    if synth.settings.pipeline.schedule.enabled or synth.settings.emr.mode == "transient":
        assert found, "the stage schedules its pipeline or its sweeper"
    for stack, schedule, trust in found:
        group = schedule.get("GroupName", "default")
        call = {"aws:SourceArn": group_arn(group), "aws:SourceAccount": ACCOUNT}
        assert allows([trust], "sts:AssumeRole", "*", call, SCHEDULER), (stack, schedule["Name"])
        # And only for this account's group.
        other = f"other-{group}"
        assert not allows([trust], "sts:AssumeRole", "*", call | {"aws:SourceArn": group_arn(other)}, SCHEDULER)
        assert not allows([trust], "sts:AssumeRole", "*", {"aws:SourceArn": group_arn(group, "444455556666"),
                                                            "aws:SourceAccount": "444455556666"}, SCHEDULER)
