"""Failures the CLI reports, each with its own exit code so scripts can tell them apart.

Exit codes (also in docs/operations.md):
  0  success
  1  an operation failed (crawl, query, EMR step, smoke-test check) or AWS returned an error
  2  usage error (click's own code: bad option, missing argument)
  3  the stage is not deployed: an SSM parameter, or the resource it names, is missing,
     or the EMR cluster has terminated
  4  a wait ran past --timeout (the AWS operation may still be running)
  5  access denied (IAM, bucket policy or KMS key policy)

Each is a click.ClickException with its `exit_code`: click prints it and exits with that code.
"""
import click

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_NOT_DEPLOYED = 3
EXIT_TIMEOUT = 4
EXIT_ACCESS_DENIED = 5


class LakeOpsError(click.ClickException):
    """A failure the CLI explains in one message: what failed and where to look."""

    exit_code = EXIT_FAILED

    def show(self, file=None) -> None:
        # The CLI's own wording ("error: ..."), documented in docs/operations.md; click's usage
        # errors keep click's ("Error: ...").
        click.echo(f"error: {self.format_message()}", file=file, err=file is None)


class NotDeployedError(LakeOpsError):
    exit_code = EXIT_NOT_DEPLOYED


class WaitTimeoutError(LakeOpsError):
    exit_code = EXIT_TIMEOUT


class AccessDeniedError(LakeOpsError):
    exit_code = EXIT_ACCESS_DENIED


def error_with_exit_code(code: int, message: str) -> LakeOpsError:
    """For commands whose outcome is a worst-of several findings (``status``)."""
    classes = {EXIT_NOT_DEPLOYED: NotDeployedError, EXIT_TIMEOUT: WaitTimeoutError,
               EXIT_ACCESS_DENIED: AccessDeniedError}
    return classes.get(code, LakeOpsError)(message)
