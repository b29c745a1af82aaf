"""One boto3 session per CLI run, clients with standard retries, and AWS error wording."""

import re

import boto3
import botocore.loaders
import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError, NoRegionError, ProfileNotFound

from lakeops.errors import AccessDeniedError, LakeOpsError

# Standard mode retries throttling and transient errors with backoff and a retry quota;
# the legacy default retries fewer error kinds. Every client of the CLI uses it.
RETRY_CONFIG = Config(retries={"mode": "standard"})

# botocore reads each service's model files per session; one loader for the process keeps what
# it read (a CLI run has one session; the tests run hundreds of commands in one process).
_LOADER = botocore.loaders.create_loader()

# S3 answers a denied request without a body (HEAD, or a bucket-policy deny) as a bare 403.
_ACCESS_DENIED_CODES = {"AccessDenied", "AccessDeniedException", "403", "Forbidden"}
_CODE_IN_MESSAGE = re.compile(r"An error occurred \(([^)]+)\)")


class Aws:
    """Creates the session lazily so that ``--help`` never needs credentials or a region."""

    def __init__(self, profile: str | None, region: str | None):
        self._profile = profile
        self._region = region
        self._session = None
        self._clients = {}

    def client(self, service: str):
        if service not in self._clients:
            try:
                if self._session is None:
                    core = botocore.session.get_session()
                    core.register_component("data_loader", _LOADER)
                    self._session = boto3.Session(botocore_session=core, profile_name=self._profile, region_name=self._region)
                self._clients[service] = self._session.client(service, config=RETRY_CONFIG)
            except ProfileNotFound as err:
                raise LakeOpsError(f"{err}; check --profile or ~/.aws/config") from err
            except NoRegionError as err:
                raise LakeOpsError("no AWS region: pass --region, set AWS_REGION, or set a region in the profile "
                                  "(or pin the stage's region in cdk.json: stages.<stage>.region)") from err
        return self._clients[service]


def error_code(err: Exception) -> str | None:
    """The AWS error code of a ClientError, or of an error that only kept it in its message
    (boto3's S3UploadFailedError wraps the ClientError as text)."""
    if isinstance(err, ClientError):
        return err.response.get("Error", {}).get("Code")
    match = _CODE_IN_MESSAGE.search(str(err))
    return match.group(1) if match else None


def is_access_denied(err: Exception) -> bool:
    return error_code(err) in _ACCESS_DENIED_CODES


def explain_client_error(err: ClientError) -> LakeOpsError:
    """Wording for an AWS error no command handled itself: the operation and AWS's message."""
    message = f"AWS {err.operation_name} failed: {err}"
    if is_access_denied(err):
        return AccessDeniedError(
            f"{message}\n  Your identity lacks a permission for {err.operation_name}: check the IAM policy "
            "of the profile you use, and the resource's own policy (bucket policy, KMS key policy)."
        )
    return LakeOpsError(message)
