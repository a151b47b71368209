"""Blobs in an S3-compatible bucket (boto3): key ``<prefix><sha256>``, checked on read."""

from __future__ import annotations

import hashlib
from typing import Any

from trueclaim.adapters.blobs.local import check_key
from trueclaim.adapters.errors import BlobConflict, BlobCorrupted, BlobNotFound, StorageError


class S3BlobStore:
    """Never overwrites: an existing key is verified instead of written again."""

    def __init__(self, client: Any, bucket: str, prefix: str = "blobs/") -> None:
        self._client = client
        self.bucket = bucket
        self.prefix = prefix

    @classmethod
    def connect(
        cls,
        bucket: str,
        *,
        endpoint_url: str | None,
        region: str | None,
        access_key_id: str | None,
        secret_access_key: str | None,
        prefix: str = "blobs/",
    ) -> S3BlobStore:
        import boto3

        client = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region or "us-east-1",
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
        )
        return cls(client, bucket, prefix)

    @property
    def _where(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def put(self, data: bytes) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        sha = hashlib.sha256(data).hexdigest()
        if self.exists(sha):
            self.get(sha)
            return sha
        try:
            self._client.put_object(
                Bucket=self.bucket,
                Key=self.prefix + sha,
                Body=data,
                ChecksumSHA256=_b64_sha256(data),
                IfNoneMatch="*",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in (
                "PreconditionFailed",
                "ConditionalRequestConflict",
            ):
                if self.get(sha) != data:  # pragma: no cover - get() already verifies
                    raise BlobConflict(sha, self._where) from exc
                return sha
            raise StorageError(f"Cannot store blob {sha} in {self._where}: {exc}.") from exc
        except BotoCoreError as exc:
            raise StorageError(f"Cannot store blob {sha} in {self._where}: {exc}.") from exc
        return sha

    def get(self, sha256: str) -> bytes:
        from botocore.exceptions import BotoCoreError, ClientError

        check_key(sha256)
        try:
            data: bytes = self._client.get_object(Bucket=self.bucket, Key=self.prefix + sha256)[
                "Body"
            ].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise BlobNotFound(sha256, self._where) from exc
            raise StorageError(f"Cannot read blob {sha256} from {self._where}: {exc}.") from exc
        except BotoCoreError as exc:
            raise StorageError(f"Cannot read blob {sha256} from {self._where}: {exc}.") from exc
        actual = hashlib.sha256(data).hexdigest()
        if actual != sha256:
            raise BlobCorrupted(sha256, actual, self._where)
        return data

    def exists(self, sha256: str) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        check_key(sha256)
        try:
            self._client.head_object(Bucket=self.bucket, Key=self.prefix + sha256)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise StorageError(f"Cannot check blob {sha256} in {self._where}: {exc}.") from exc
        except BotoCoreError as exc:
            raise StorageError(f"Cannot check blob {sha256} in {self._where}: {exc}.") from exc
        return True


def _b64_sha256(data: bytes) -> str:
    import base64

    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")
