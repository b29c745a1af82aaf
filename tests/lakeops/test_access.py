"""`lakeops access` against moto's Lake Formation: the deployed grants and LF-tags say who reads
which columns, and `--check` (the smoke test's governance check) fails when a governed consumer
could read a restricted column."""
from lake_config.governance_plan import classification, explicitly_classified, tag_keys, tag_values
from tests.lakeops.fakes import ACCOUNT, PARAMS, SETTINGS, client

ANALYSTS = f"arn:aws:iam::{ACCOUNT}:role/analysts"
CURATION = f"arn:aws:iam::{ACCOUNT}:role/curation"
RESTRICTED = SETTINGS.governance.restricted_classifications


def govern(deployed) -> None:
    """What the governance stack deploys in a hybrid stage, made through the Lake Formation API."""
    keys, values, lf = tag_keys(SETTINGS), tag_values(SETTINGS), client("lakeformation")
    for key, allowed in values.items():
        lf.create_lf_tag(TagKey=key, TagValues=list(allowed))
    database = deployed.curated_database
    lf.add_lf_tags_to_resource(Resource={"Database": {"Name": database}},
                               LFTags=[{"TagKey": keys.classification, "TagValues": [SETTINGS.governance.default_classification]}])
    for dataset in SETTINGS.datasets:
        lf.add_lf_tags_to_resource(Resource={"Table": {"DatabaseName": database, "Name": dataset.table}},
                                   LFTags=[{"TagKey": keys.dataset, "TagValues": [dataset.name]}])
        for value, columns in explicitly_classified(SETTINGS, dataset).items():
            lf.add_lf_tags_to_resource(Resource={"TableWithColumns": {"DatabaseName": database, "Name": dataset.table, "ColumnNames": list(columns)}},
                                       LFTags=[{"TagKey": keys.classification, "TagValues": [value]}])
        lf.grant_permissions(Principal={"DataLakePrincipalIdentifier": CURATION}, Permissions=["SELECT", "INSERT"],
                             Resource={"Table": {"DatabaseName": database, "Name": dataset.table}})
    readable = [v for v in values[keys.classification] if v not in RESTRICTED]
    lf.grant_permissions(Principal={"DataLakePrincipalIdentifier": ANALYSTS}, Permissions=["SELECT", "DESCRIBE"], Resource={"LFTagPolicy": {
        "ResourceType": "TABLE", "Expression": [{"TagKey": keys.dataset, "TagValues": list(values[keys.dataset])},
                                                {"TagKey": keys.classification, "TagValues": readable}]}})
    for name, value in {"mode": "hybrid", "classification-tag": keys.classification,
                        "restricted-classifications": ",".join(RESTRICTED), "governed-consumers": ANALYSTS}.items():
        client("ssm").put_parameter(Name=f"{PARAMS}governance/{name}", Value=value, Type="String")


def rows(stdout: str) -> dict[tuple[str, str], list[str]]:
    lines = stdout.splitlines()[1:]  # after the mode line
    starts = [lines[0].index(h) for h in ("PRINCIPAL", "TABLE", "READS", "HIDDEN")]
    cells = lambda line: [line[a:b].strip() for a, b in zip(starts, [*starts[1:], None])]  # noqa: E731
    return {(c[0], c[1]): c[2:] for c in map(cells, lines[2:])}


def test_an_iam_stage_has_no_lake_formation_access_to_show(deployed, run_cli):
    result = run_cli("access")
    assert result.exit_code == 0 and "governance mode iam" in result.stdout


def test_analysts_see_every_column_but_the_restricted_ones(deployed, run_cli, datasets_dir):
    govern(deployed)
    result = run_cli("access", "--check", datasets=datasets_dir)
    assert result.exit_code == 0, result.output
    found = rows(result.stdout)
    hidden_somewhere = False
    for dataset in SETTINGS.datasets:
        table = f"{deployed.curated_database}.{dataset.table}"
        restricted = [c.name for c in dataset.columns if classification(SETTINGS, c) in RESTRICTED]
        hidden_somewhere |= bool(restricted)
        reads, hidden = found[(ANALYSTS, table)]
        assert hidden == (", ".join(restricted) or "-")
        assert reads.split(", ") == [c.name for c in dataset.columns if c.name not in restricted] + [dataset.partition]
        assert found[(CURATION, table)][1] == "-", "a named table grant reads every column"
    assert hidden_somewhere


def test_the_check_fails_when_analysts_could_read_a_restricted_column(deployed, run_cli, datasets_dir):
    govern(deployed)
    dataset = next(d for d in SETTINGS.datasets if any(classification(SETTINGS, c) in RESTRICTED for c in d.columns))
    client("lakeformation").grant_permissions(Principal={"DataLakePrincipalIdentifier": ANALYSTS}, Permissions=["SELECT"],
                                              Resource={"Table": {"DatabaseName": deployed.curated_database, "Name": dataset.table}})
    result = run_cli("access", "--check", datasets=datasets_dir)
    assert result.exit_code == 1
    column = next(c.name for c in dataset.columns if classification(SETTINGS, c) in RESTRICTED)
    assert f"{ANALYSTS} may read {deployed.curated_database}.{dataset.table}.{column}" in result.stderr


def test_the_smoke_test_checks_governance_in_a_governed_stage(deployed, sim, run_cli, datasets_dir):
    from tests.lakeops.test_smoke import plan_pipeline, summary

    govern(deployed)
    plan_pipeline(sim, deployed)
    result = run_cli("smoke-test", datasets=datasets_dir)
    assert result.exit_code == 0, result.output
    assert summary(result.stdout)["governance"] == ("PASS", f"governance mode hybrid: restricted columns hidden from {ANALYSTS}")

    dataset = next(d for d in SETTINGS.datasets if any(classification(SETTINGS, c) in RESTRICTED for c in d.columns))
    client("lakeformation").grant_permissions(Principal={"DataLakePrincipalIdentifier": ANALYSTS}, Permissions=["ALL"],
                                              Resource={"Table": {"DatabaseName": deployed.curated_database, "Name": dataset.table}})
    plan_pipeline(sim, deployed)
    failed = run_cli("smoke-test", datasets=datasets_dir)
    assert failed.exit_code == 1 and summary(failed.stdout)["governance"][0] == "FAIL"
    assert "restricted columns readable by governed consumers" in failed.stderr
