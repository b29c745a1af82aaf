"""EMR Studio settings: a bad mode, identity, region or combination stops synth with one line."""
import pytest

from lake_config import load_settings
from lake_config.studio_settings import STUDIO_REGIONS, StudioSettings
from tests.helpers import CDK_CONTEXT, config_error, stage_context

SSO = {"enabled": True, "auth_mode": "SSO", "identity_center_instance_arn": "arn:aws:sso:::instance/ssoins-0123456789abcdef"}


def settings(**studio):
    return load_settings(stage_context(replace=True, studio=studio)).studio


def test_off_by_default_and_as_each_stage_says():
    assert StudioSettings().enabled is False
    for stage, values in CDK_CONTEXT["stages"].items():
        studio = load_settings({**CDK_CONTEXT, "stage": stage}).studio
        assert studio.enabled is (values.get("studio") or {}).get("enabled", False)
        assert studio.auth_mode == (values.get("studio") or {}).get("auth_mode", "IAM")


def test_identity_center_with_users_and_groups():
    studio = settings(**SSO, identity_center_users=["jane@example.com"], identity_center_groups=["analysts"])
    assert studio.auth_mode == "SSO" and studio.identity_center_groups == ["analysts"]


@pytest.mark.parametrize(
    "studio, message",
    [
        ({"enabled": True, "auth_mode": "LDAP"}, "stages.dev.studio.auth_mode: Input should be 'IAM' or 'SSO'"),
        (SSO, "studio.auth_mode SSO needs studio.identity_center_users or studio.identity_center_groups"),
        ({**SSO, "identity_center_users": ["jane"], "user_role_names": ["analysts"]}, "studio.user_role_names is for auth_mode IAM"),
        ({"enabled": True, "identity_center_groups": ["analysts"]}, "studio.identity_center_* settings need studio.auth_mode SSO"),
        ({**SSO, "identity_center_instance_arn": "ssoins-123", "identity_center_users": ["j"]}, "studio.identity_center_instance_arn: String should match pattern"),
        ({"enabled": True, "user_role_names": ["has space"]}, "studio.user_role_names.0: String should match pattern"),
        ({"enabled": True, "idle_timeout_seconds": 30}, "studio.idle_timeout_seconds: Input should be greater than or equal to 60"),
        ({"enabled": True, "cluster": {}}, "unknown setting; allowed settings here are enabled, auth_mode"),
    ],
)
def test_bad_settings_are_one_clear_line(studio, message):
    assert message in config_error(stage_context(replace=True, studio=studio))


def test_studio_needs_the_emr_network_and_cluster():
    context = stage_context(studio={"enabled": True}, emr={"enabled": False})
    assert "studio.enabled needs emr.enabled" in config_error(context)


def test_a_pinned_region_must_have_emr_studio():
    assert "us-east-1" in STUDIO_REGIONS and "eu-west-1" in STUDIO_REGIONS
    # the budget is off: ap-south-2's CloudFormation has no AWS::Budgets::Budget, a separate rule
    pinned = {"enabled": True}, {"budget": {"enabled": False}}
    message = config_error(stage_context(studio=pinned[0], monitoring=pinned[1], region="ap-south-2"))
    assert "EMR Studio does not exist in ap-south-2" in message
    assert load_settings(stage_context(studio=pinned[0], region="eu-west-1")).studio.enabled


def test_no_dataset_may_live_under_the_workspace_prefix():
    from pydantic import ValidationError

    from lake_config.models import LakeSettings

    dev = load_settings(stage_context(studio={"enabled": True}))
    clashing = dev.datasets[0].model_copy(update={"curated_prefix": "studio/sales/"})
    with pytest.raises(ValidationError, match="uses the curated prefix studio/, which holds EMR Studio Workspaces"):
        LakeSettings.model_validate({**dev.model_dump(exclude={"datasets"}), "datasets": (clashing,)})
