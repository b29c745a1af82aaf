"""QuickSight settings: a bad switch, principal, region, mode or schedule stops synth with one line."""
import pytest

from lake_config import load_settings
from lake_config.contracts import load_dataset
from tests.helpers import CDK_CONTEXT, absent_name, config_error, stage_context

UNKNOWN_DATASET = absent_name()

GROUP = "arn:aws:quicksight:us-east-1:{account}:group/default/lake-owners"
ENABLED = {"enabled": True, "identity_region": "us-east-1", "owner_principal": GROUP}


def context(**quicksight) -> dict:
    return stage_context(replace=True, quicksight=quicksight)


def error_for(**quicksight) -> str:
    return config_error(context(**quicksight))


def test_quicksight_is_on_in_prod_and_off_in_dev():
    assert load_settings({**CDK_CONTEXT, "stage": "dev"}).quicksight.enabled is False
    prod = load_settings({**CDK_CONTEXT, "stage": "prod"}).quicksight
    assert prod.enabled is True and prod.owner_principal == CDK_CONTEXT["stages"]["prod"]["quicksight"]["owner_principal"]


def test_disabled_needs_nothing_else():
    assert load_settings(context(enabled=False)).quicksight.owner_principal is None


@pytest.mark.parametrize(
    "principal",
    [
        GROUP,
        "arn:aws:quicksight:us-east-1:123456789012:user/default/jane@example.com",
        "arn:aws:quicksight:us-east-1:123456789012:user/default/QuickSightAdmins/jane",
        "arn:aws-cn:quicksight:us-east-1:{account}:group/default/analysts",
    ],
)
def test_user_and_group_principals_are_accepted(principal):
    assert load_settings(context(**ENABLED | {"owner_principal": principal})).quicksight.owner_principal == principal


def test_account_placeholder_is_replaced_by_the_deploying_account():
    settings = load_settings(context(**ENABLED)).quicksight
    assert settings.owner_arn("123456789012") == "arn:aws:quicksight:us-east-1:123456789012:group/default/lake-owners"


def test_enabled_without_principal():
    message = error_for(enabled=True, identity_region="us-east-1")
    assert message.startswith("invalid setting stages.dev.quicksight.owner_principal: is required when quicksight.enabled is true")
    assert GROUP in message


def test_enabled_without_identity_region():
    message = error_for(enabled=True, owner_principal=GROUP)
    assert message.startswith("invalid setting stages.dev.quicksight.identity_region: is required when quicksight.enabled is true")


@pytest.mark.parametrize(
    "principal",
    [
        "arn:aws:iam::123456789012:user/jane",  # an IAM user, not a QuickSight one
        "arn:aws:quicksight:us-east-1:123456789012:group/analysts",  # no namespace
        "arn:aws:quicksight:us-east-1:123456789012:group/marketing/analysts",  # not the default namespace
        "arn:aws:quicksight:us-east-1:12345:user/default/jane",  # short account id
        "arn:aws:quicksight:us-east-1:{acount}:user/default/jane",  # misspelt placeholder
        "arn:aws:quicksight:us-east-1:123456789012:dashboard/default/jane",
        "lake-owners",
    ],
)
def test_malformed_principal(principal):
    message = error_for(**ENABLED | {"owner_principal": principal})
    assert message.startswith("invalid setting stages.dev.quicksight.owner_principal: must be a QuickSight user or group ARN")
    assert f"(got {principal!r})" in message


def test_principal_must_live_in_the_identity_region():
    message = error_for(**ENABLED | {"identity_region": "eu-west-1"})
    assert message == (
        "invalid setting stages.dev.quicksight.owner_principal: names region us-east-1, but quicksight.identity_region "
        f"is eu-west-1: users and groups live in the identity region (got {GROUP!r})"
    )


@pytest.mark.parametrize("region", ["us-east", "US-EAST-1", "moon-1", ""])
def test_bad_identity_region(region):
    message = error_for(**ENABLED | {"identity_region": region})
    assert message.startswith("invalid setting stages.dev.quicksight.identity_region: must be an AWS region name")


@pytest.mark.parametrize("mode", ["spice", "DIRECT", "CACHED"])
def test_bad_import_mode(mode):
    message = error_for(**ENABLED | {"import_mode": mode})
    assert message == f"invalid setting stages.dev.quicksight.import_mode: Input should be 'SPICE' or 'DIRECT_QUERY' (got {mode!r})"


@pytest.mark.parametrize(
    "refresh, setting, expected",
    [
        ({"interval": "MINUTE15"}, "refresh.interval", "Input should be 'HOURLY', 'DAILY', 'WEEKLY' or 'MONTHLY'"),
        ({"time_of_day": "25:00"}, "refresh.time_of_day", "must be a 24-hour time HH:MM"),
        ({"time_of_day": "5am"}, "refresh.time_of_day", "must be a 24-hour time HH:MM"),
        ({"timezone": "CEST+2"}, "refresh.timezone", "must be an IANA time zone name"),
        ({"interval": "WEEKLY"}, "refresh", "day_of_week is required with interval WEEKLY"),
        ({"interval": "DAILY", "day_of_week": "MONDAY"}, "refresh", "day_of_week is required with interval WEEKLY and allowed only with it"),
        ({"interval": "WEEKLY", "day_of_week": "MON"}, "refresh.day_of_week", "Input should be 'MONDAY'"),
        ({"interval": "MONTHLY"}, "refresh", "day_of_month is required with interval MONTHLY"),
        ({"interval": "MONTHLY", "day_of_month": 31}, "refresh.day_of_month", "less than or equal to 28"),
        ({"cron": "cron(0 5 * * ? *)"}, "refresh.cron", "unknown setting; allowed settings here are interval, time_of_day"),
    ],
)
def test_bad_schedule(refresh, setting, expected):
    message = error_for(**ENABLED | {"refresh": refresh})
    assert message.startswith(f"invalid setting stages.dev.quicksight.{setting}: ")
    assert expected in message


@pytest.mark.parametrize(
    "refresh",
    [{"interval": "HOURLY"}, {"interval": "WEEKLY", "day_of_week": "SUNDAY", "timezone": "Europe/Berlin"}, {"interval": "MONTHLY", "day_of_month": 1, "time_of_day": "23:30"}],
)
def test_good_schedules(refresh):
    assert load_settings(context(**ENABLED | {"refresh": refresh})).quicksight.refresh.interval == refresh["interval"]


@pytest.mark.parametrize(
    "columns, setting, expected",
    [
        ({}, "columns", "must map at least one dataset"),
        (["country"], "columns", "valid dictionary"),
        ({"sales": []}, "columns.sales", "distinct column names"),
        ({"sales": ["country", "country"]}, "columns.sales", "distinct column names"),
        ({"sales": ["amount"]}, "columns.sales", "'amount' is not a text column of sales; rules can restrict order_id,"),
        pytest.param({UNKNOWN_DATASET: ["country"]}, f"columns.{UNKNOWN_DATASET}",
                     f"'{UNKNOWN_DATASET}' is not a dataset of this stage ({', '.join(CDK_CONTEXT['datasets'])})",
                     id="not-a-dataset"),  # a generated name: xdist's workers must collect the same ids
    ],
)
def test_bad_row_level_security_columns(columns, setting, expected):
    message = error_for(**ENABLED | {"row_level_security": {"enabled": True, "columns": columns}})
    assert message.startswith(f"invalid setting stages.dev.quicksight.row_level_security.{setting}: ")
    assert expected in message


def test_row_level_security_on_any_datasets_text_columns():
    rls = {"enabled": True, "columns": {"sales": ["country", "channel"], "clickstream": ["device"]}}
    settings = load_settings(context(**ENABLED | {"row_level_security": rls}))
    assert settings.quicksight.row_level_security.columns == rls["columns"]


def test_unknown_quicksight_key_lists_the_allowed_ones():
    message = error_for(**ENABLED | {"owner": GROUP})
    assert message.startswith("invalid setting stages.dev.quicksight.owner: unknown setting; allowed settings here are enabled, identity_region, owner_principal")


STANDARD = ENABLED | {"edition": "STANDARD", "dashboards": {"ml_insights": False}}
# Row-level rules on a text column (not the key) of the first declared dataset.
_FIRST = load_dataset(CDK_CONTEXT["datasets"][0])
RESTRICTED = {_FIRST.name: [next(c.name for c in _FIRST.columns if c.type == "string" and c.name not in _FIRST.key)]}


def test_standard_edition_without_enterprise_features_is_accepted():
    assert load_settings(context(**STANDARD)).quicksight.edition == "STANDARD"


@pytest.mark.parametrize(
    "change, setting, expected",
    [
        ({"row_level_security": {"enabled": True, "columns": RESTRICTED}}, "row_level_security.enabled",
         "true needs quicksight.edition ENTERPRISE"),
        ({"refresh": {"interval": "HOURLY"}}, "refresh.interval", "HOURLY needs quicksight.edition ENTERPRISE"),
        ({"dashboards": {"ml_insights": True}}, "dashboards.ml_insights", "true needs quicksight.edition ENTERPRISE"),
        ({"dashboards": {"ml_insights": False, "embedding": {"allowed_domains": ["https://bi.example.com"]}}},
         "dashboards.embedding.allowed_domains", "a domain list needs quicksight.edition ENTERPRISE"),
    ],
)  # fmt: skip
def test_standard_edition_refuses_enterprise_features(change, setting, expected):
    message = error_for(**STANDARD | change)
    assert message.startswith(f"invalid setting stages.dev.quicksight.{setting}: {expected} (the account is STANDARD: ")


def test_the_edition_is_one_of_the_two_quicksight_sells():
    assert error_for(**ENABLED | {"edition": "PRO"}).startswith("invalid setting stages.dev.quicksight.edition: Input should be 'STANDARD' or 'ENTERPRISE'")


def test_readers_principal_is_checked_like_the_owner():
    readers = "arn:aws:quicksight:us-east-1:{account}:group/default/lake-readers"
    assert load_settings(context(**ENABLED | {"readers_principal": readers})).quicksight.readers_arn("123456789012") == (
        "arn:aws:quicksight:us-east-1:123456789012:group/default/lake-readers"
    )
    assert load_settings(context(**ENABLED)).quicksight.readers_arn("123456789012") is None
    message = error_for(**ENABLED | {"readers_principal": readers.replace("us-east-1", "eu-west-1")})
    assert message.startswith("invalid setting stages.dev.quicksight.readers_principal: names region eu-west-1, but quicksight.identity_region is us-east-1")


@pytest.mark.parametrize("domains", [["https://bi.example.com"], ["https://*.example.com", "http://localhost:8000", "https://app.example.com:8443"]])
def test_embedding_domains_accepted(domains):
    settings = load_settings(context(**ENABLED | {"dashboards": {"embedding": {"allowed_domains": domains}}}))
    assert settings.quicksight.dashboards.embedding.allowed_domains == domains


@pytest.mark.parametrize(
    "domains, expected",
    [
        (["http://bi.example.com"], "'http://bi.example.com' must be https://<host>[:port]"),
        (["https://bi.example.com/reports"], "without a path"),
        (["https://a.example.com", "https://b.example.com", "https://c.example.com", "https://d.example.com"], "at most 3 distinct domains"),
        (["https://a.example.com", "https://a.example.com"], "at most 3 distinct domains"),
    ],
)
def test_embedding_domains_refused(domains, expected):
    message = error_for(**ENABLED | {"dashboards": {"embedding": {"allowed_domains": domains}}})
    assert message.startswith("invalid setting stages.dev.quicksight.dashboards.embedding.allowed_domains: ")
    assert expected in message


@pytest.mark.parametrize("minutes", [14, 601])
def test_embedding_session_lifetime_is_what_quicksight_accepts(minutes):
    message = error_for(**ENABLED | {"dashboards": {"embedding": {"session_lifetime_minutes": minutes}}})
    assert message.startswith("invalid setting stages.dev.quicksight.dashboards.embedding.session_lifetime_minutes: ")


def test_the_embedding_bounds_are_the_apis():
    """AWS's side: the lifetime and domain limits are the ones botocore's model of the API declares."""
    import botocore.session

    from lake_config.quicksight_settings import MAX_EMBED_DOMAINS, EmbeddingSettings

    request = botocore.session.get_session().get_service_model("quicksight").operation_model("GenerateEmbedUrlForRegisteredUser").input_shape
    lifetime = request.members["SessionLifetimeInMinutes"].metadata
    bounds = {type(m).__name__: m for m in EmbeddingSettings.model_fields["session_lifetime_minutes"].metadata}
    assert (bounds["Ge"].ge, bounds["Le"].le) == (lifetime["min"], lifetime["max"])
    assert f"up to {['zero', 'one', 'two', 'three'][MAX_EMBED_DOMAINS]} domains" in request.members["AllowedDomains"].documentation
