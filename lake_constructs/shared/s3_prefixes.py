"""The S3 object ARNs a Hadoop client needs for a prefix: its keys, and the keys it probes.

S3 authorizes HEAD and GET against the exact key. EMRFS and the Glue client's `mkdirs` check
whether `a/b` is a directory with HEAD `a/b` (no slash), HEAD `a/b/` and a listing, for the
prefix and for every folder above it, and mark a folder they create with `a/b_$folder$`. So a
grant of `a/b/*` alone answers their first request with 403 (Hadoop S3A documentation,
"Working with IAM Assumed Roles", lists the same three forms).
"""
from aws_cdk import aws_s3 as s3


def folders(prefix: str) -> list[str]:
    """`a/b/` -> ["a", "a/b"]: the prefix and every folder above it, without slashes."""
    parts = prefix.rstrip("/").split("/")
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def keys_under(bucket: s3.IBucket, prefix: str) -> str:
    """`<bucket>/<prefix>*`: everything under the prefix, and nothing that only starts like it."""
    if not prefix.endswith("/"):
        raise ValueError(f"a prefix ends with a slash: {prefix!r}")
    return bucket.arn_for_objects(f"{prefix}*")


def probed_keys(bucket: s3.IBucket, prefix: str) -> list[str]:
    """The exact keys a `getFileStatus` of the prefix and of its parents reads (HEAD)."""
    arns = []
    for folder in folders(prefix):
        arns.append(bucket.arn_for_objects(folder))
        if folder != prefix.rstrip("/"):  # `<prefix>/` itself is under keys_under()
            arns.append(bucket.arn_for_objects(f"{folder}/"))
    return arns


def folder_markers(bucket: s3.IBucket, prefix: str) -> list[str]:
    """The `<folder>_$folder$` keys EMRFS writes and deletes for the prefix and its parents."""
    return [bucket.arn_for_objects(f"{folder}_$folder$") for folder in folders(prefix)]
