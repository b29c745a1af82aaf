"""A local stand-in for QuickSight's embedding host, for the browser test of embedding/index.html.

It serves, over HTTPS on 127.0.0.1 (the SDK accepts only https:// embed URLs), the two frames the
SDK opens: the hidden control frame `/embed/<session>/embedControl` and the dashboard frame
`/embed/<session>/dashboards/<id>`. Like QuickSight, it renders the dashboard only for a page
whose origin (the SDK sends it as `punyCodeEmbedOrigin`) is one of the embed URL's allowed
domains, and only with the one-time code it issued. The fake dashboard shows what it received
(the decoded page origin, dashboard id, the `p.<Name>` parameters of its fragment) as JSON for the test to read.
Every request is recorded.
"""
import datetime
import ipaddress
import json
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

DASHBOARD_PAGE = """<!doctype html><html><body><pre id="received"></pre><script>
const query = new URLSearchParams(location.search);
const parameters = {};
for (const [key, value] of new URLSearchParams(location.hash.slice(1))) {
  if (key.startsWith("p.")) (parameters[key.slice(2)] = parameters[key.slice(2)] || []).push(value);
}
document.getElementById("received").textContent = JSON.stringify({
  authorized: true, dashboardId: %(dashboard)s, origin: %(origin)s,
  sdkVersion: query.get("sdkVersion"), parameters: parameters });
</script></body></html>"""
REFUSED_PAGE = '<!doctype html><html><body><pre id="received">{"authorized": false, "reason": %s}</pre></body></html>'


@dataclass
class EmbeddingHost:
    """Issue a URL with `embed_url`, then read `requests` and what the frames showed."""

    allowed_domains: list[str]
    directory: Path
    requests: list[dict] = field(default_factory=list)
    codes: set[str] = field(default_factory=set)

    def start(self) -> "EmbeddingHost":
        certificate, key = _self_signed(self.directory)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certificate, key)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    @property
    def origin(self) -> str:
        return f"https://127.0.0.1:{self.server.server_address[1]}"

    def embed_url(self, dashboard_id: str, session: str = "session-1", code: str = "one-time-code") -> str:
        """What GenerateEmbedUrlForRegisteredUser returns, pointing at this host."""
        self.codes.add(code)
        return f"{self.origin}/embed/{session}/dashboards/{dashboard_id}?code={code}&identityprovider=quicksight&isauthcode=true"

    def answer(self, path: str, query: dict[str, list[str]]) -> str:
        parts = path.strip("/").split("/")
        if len(parts) == 3 and parts[0] == "embed" and parts[2] == "embedControl":
            return "<!doctype html><html><body></body></html>"
        if len(parts) != 4 or parts[0] != "embed" or parts[2] != "dashboards":
            return REFUSED_PAGE % json.dumps(f"no such page {path}")
        # The SDK sends `<page origin>/` Punycode-encoded (RFC 3492: an ASCII name gains a final "-").
        origin = (query.get("punyCodeEmbedOrigin") or [""])[0].encode().decode("punycode").rstrip("/")
        if (query.get("code") or [""])[0] not in self.codes:
            return REFUSED_PAGE % json.dumps("unknown or used code")
        if origin not in self.allowed_domains:
            return REFUSED_PAGE % json.dumps(f"{origin} is not an allowed domain")
        self.codes.discard(query["code"][0])  # one-time, like QuickSight's
        return DASHBOARD_PAGE % {"dashboard": json.dumps(parts[3]), "origin": json.dumps(origin)}


def _handler(host: EmbeddingHost) -> type:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            host.requests.append({"path": url.path, "query": query, "referer": self.headers.get("Referer")})
            body = host.answer(url.path, query).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):  # keep the test output clean
            pass

    return Handler


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    certificate_file, key_file = directory / "stub.crt", directory / "stub.key"
    certificate_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return certificate_file, key_file
