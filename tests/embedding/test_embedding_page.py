"""embedding/index.html in a real headless Chromium (Debian's, driven by Playwright) against a
local stand-in for QuickSight's embedding host: the SDK file is the locked npm package, the
dashboard frame lands in the page's container, QuickSight sees the page's real origin, and the
dashboard parameters arrive. The embed URL comes from `lakeops quicksight embed-url`, with
GenerateEmbedUrlForRegisteredUser answered by a Stubber that checks the AllowedDomains the CLI
sends are the configured ones; the stub host then enforces exactly those domains.

Chromium comes from Debian's `chromium` package (`make test` installs it when missing); the
network is closed, so it starts with background networking, component updates and sync off.
"""
import base64
import copy
import hashlib
import json
import os
import re
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from botocore.stub import Stubber
from click.testing import CliRunner

from lake_config import load_settings
from lakeops.aws import Aws
from lakeops.cli import cli
from lakeops.context import Lake
from tests.embedding.quicksight_stub import EmbeddingHost
from tests.helpers import CDK_CONTEXT, ROOT

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"]  # fmt: skip
SDK_PACKAGE = "amazon-quicksight-embedding-sdk"
SDK_FILE = "dist/quicksight-embedding-js-sdk.min.js"
PAGE = ROOT / "embedding" / "index.html"
ACCOUNT = "111122223333"
# The dashboard the stack names for prod's first dataset (stacks/quicksight_stack.py).
FIRST_DATASET = CDK_CONTEXT["datasets"][0]
DASHBOARD = f"{load_settings({**CDK_CONTEXT, 'stage': 'prod'}).prefix}-{FIRST_DATASET}"


def locked_sdk() -> dict:
    return json.loads((ROOT / "package-lock.json").read_text())["packages"][f"node_modules/{SDK_PACKAGE}"]


def test_the_page_loads_exactly_the_locked_sdk_file():
    """package-lock.json's integrity -> the package `npm ci` unpacked -> its file -> the page's SRI hash.

    npm checks every tarball it unpacks against the lock's `integrity` and records what it
    unpacked in node_modules/.package-lock.json (npm docs, "package-lock.json": the hidden
    lockfile; "integrity: A sha512 or sha1 Standard Subresource Integrity string for the artifact
    that was unpacked in this location"). npm's cache is not read here: it may be cleaned, or,
    in CI, thrown away after `npm ci` (.ci/run)."""
    lock = locked_sdk()
    unpacked = json.loads((ROOT / "node_modules" / ".package-lock.json").read_text())["packages"][f"node_modules/{SDK_PACKAGE}"]
    assert (unpacked["version"], unpacked["integrity"]) == (lock["version"], lock["integrity"]), \
        f"node_modules holds another {SDK_PACKAGE} than package-lock.json: run `npm ci` (make synth does)"
    manifest = json.loads((ROOT / "node_modules" / SDK_PACKAGE / "package.json").read_text())
    assert manifest["version"] == lock["version"] == json.loads((ROOT / "package.json").read_text())["dependencies"][SDK_PACKAGE]
    installed = ROOT / "node_modules" / SDK_PACKAGE / SDK_FILE
    (src, integrity) = re.search(r'<script src="([^"]+quicksight-embedding[^"]+)"\s+integrity="([^"]+)"', PAGE.read_text()).groups()
    assert (PAGE.parent / src).resolve() == installed.resolve()
    assert integrity == "sha384-" + base64.b64encode(hashlib.sha384(installed.read_bytes()).digest()).decode()


@pytest.fixture(scope="module")
def page_server():
    """The repository root over HTTP on 127.0.0.1, as `python3 -m http.server --bind 127.0.0.1` serves it."""
    handler = partial(_QuietHandler, directory=str(ROOT))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def allowed_origin(page_server) -> str:
    return f"http://localhost:{page_server}"


@pytest.fixture(scope="module")
def host(allowed_origin, tmp_path_factory):
    host = EmbeddingHost([allowed_origin], tmp_path_factory.mktemp("stub")).start()
    yield host
    host.stop()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not CHROMIUM.is_file():
        pytest.fail(f"CHROMIUM={CHROMIUM} is missing: set CHROMIUM to a Chrome or Chromium (`make test` finds or installs one: scripts/find_chromium.sh)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=str(CHROMIUM), headless=True,
            args=CHROMIUM_FLAGS, ignore_https_errors=True,  # the stub host's certificate is self-signed
        )  # fmt: skip
        yield context
        context.close()


@pytest.fixture
def fake_credentials(monkeypatch, tmp_path):
    """No real profile can leak in; the Stubber answers before any request is signed or sent."""
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_CONFIG_FILE": str(tmp_path / "none"),
                        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "LAKEOPS_STAGE", "LAKEOPS_PROJECT"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def embed_url_from_the_cli(fake_credentials, monkeypatch, tmp_path, host, allowed_origin):
    """Runs `lakeops quicksight embed-url --page-url ... --param ...` with prod's embedding allowed on the test page's origin."""
    context = copy.deepcopy(CDK_CONTEXT)
    context["stages"]["prod"]["quicksight"]["dashboards"]["embedding"]["allowed_domains"] = [allowed_origin]
    (tmp_path / "cdk.json").write_text(json.dumps({"context": context}))
    monkeypatch.setattr("lakeops.quicksight_dashboards.CDK_JSON", tmp_path / "cdk.json")
    clients = Aws(None, "us-east-1")
    monkeypatch.setattr(Lake, "client", lambda self, service: clients.client(service))
    user = f"arn:aws:quicksight:us-east-1:{ACCOUNT}:user/default/jane"

    def run(*params: str) -> str:
        with Stubber(clients.client("quicksight")) as stub:
            stub.add_response(
                "generate_embed_url_for_registered_user",
                {"EmbedUrl": host.embed_url(DASHBOARD), "Status": 200, "RequestId": "r"},
                {"AwsAccountId": ACCOUNT, "SessionLifetimeInMinutes": 60, "UserArn": user,
                 "ExperienceConfiguration": {"Dashboard": {"InitialDashboardId": DASHBOARD}}, "AllowedDomains": host.allowed_domains},
            )  # fmt: skip
            result = CliRunner().invoke(cli, ["--stage", "prod", "quicksight", "embed-url", "--dashboard", FIRST_DATASET, "--user", user,
                                              "--account-id", ACCOUNT, "--page-url", f"{allowed_origin}/embedding/",
                                              *[arg for param in params for arg in ("--param", param)]])  # fmt: skip
            stub.assert_no_pending_responses()
        assert result.exit_code == 0, result.output
        return result.stdout.splitlines()[1]

    return run


def open_page(browser, url: str):
    page = browser.new_page()
    page.goto(url)
    page.wait_for_function("document.body.dataset.state !== 'loading'", timeout=15000)
    return page


def received(page) -> dict:
    (frame,) = [f for f in page.frames if "/dashboards/" in f.url]
    frame.wait_for_selector("#received:not(:empty)", timeout=15000)
    return json.loads(frame.inner_text("#received"))


def test_the_dashboard_is_embedded_in_the_container_with_its_parameters(browser, host, allowed_origin, embed_url_from_the_cli):
    page = open_page(browser, embed_url_from_the_cli("StartDate=2026-01-01", "EndDate=2026-01-08"))
    try:
        assert page.evaluate("document.body.dataset.state") == "embedded"
        src = page.get_attribute("#dashboard-container > iframe", "src")
        assert src.startswith(f"{host.origin}/embed/session-1/dashboards/{DASHBOARD}?code=one-time-code&identityprovider=quicksight&isauthcode=true&")
        shown = received(page)
        assert shown["authorized"] is True and shown["dashboardId"] == DASHBOARD, (shown, host.requests)
        assert shown["origin"] == allowed_origin
        assert shown["parameters"] == {"StartDate": ["2026-01-01"], "EndDate": ["2026-01-08"]}
        assert shown["sdkVersion"] == locked_sdk()["version"]
        # The one-time URL left the address bar, and no request carried it onward in a Referer.
        assert page.url == f"{allowed_origin}/embedding/"
        assert all(r["referer"] in (None, f"{allowed_origin}/") for r in host.requests)
        assert {r["path"] for r in host.requests} >= {"/embed/session-1/embedControl", f"/embed/session-1/dashboards/{DASHBOARD}"}
    finally:
        page.close()


def test_a_page_on_another_origin_is_refused(browser, host, page_server):
    url = f"http://127.0.0.1:{page_server}/embedding/?embedUrl=" + host.embed_url(DASHBOARD, code="second-code").replace("&", "%26")
    page = open_page(browser, url)
    try:
        shown = received(page)
        assert shown == {"authorized": False, "reason": f"http://127.0.0.1:{page_server} is not an allowed domain"}
    finally:
        page.close()


def test_a_tampered_sdk_file_is_not_run(browser, host, allowed_origin):
    """The integrity hash is enforced by the browser, not only compared by a test."""
    page = browser.new_page()
    page.route("**/quicksight-embedding-js-sdk.min.js", lambda route: route.fulfill(
        body="window.QuickSightEmbedding = {createEmbeddingContext: async () => ({embedDashboard: async () => {}})};",
        content_type="application/javascript"))  # fmt: skip
    try:
        page.goto(f"{allowed_origin}/embedding/?embedUrl=" + host.embed_url(DASHBOARD, code="third-code").replace("&", "%26"))
        page.wait_for_function("document.body.dataset.state !== 'loading'", timeout=15000)
        assert page.evaluate("document.body.dataset.state") == "error"
        assert "QuickSightEmbedding is not defined" in page.inner_text("#status")
        assert page.query_selector("#dashboard-container > iframe") is None
    finally:
        page.close()


def test_without_an_embed_url_the_page_says_what_to_do(browser, allowed_origin):
    page = open_page(browser, f"{allowed_origin}/embedding/")
    try:
        assert page.evaluate("document.body.dataset.state") == "missing-url"
        assert "lakeops quicksight embed-url --page-url" in page.inner_text("#status")
    finally:
        page.close()
