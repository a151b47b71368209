"""Content-addressed blob stores: the key of every blob is the SHA-256 of its bytes."""

from trueclaim.adapters.blobs.local import LocalBlobStore
from trueclaim.adapters.blobs.s3 import S3BlobStore

__all__ = ["LocalBlobStore", "S3BlobStore"]
