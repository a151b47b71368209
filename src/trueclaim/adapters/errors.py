"""Adapter errors.

* StorageError           the database or blob store failed (the cause is chained)
  x BlobNotFound         no blob with this SHA-256
  x BlobCorrupted        stored bytes no longer hash to their key
  x BlobConflict         different bytes already stored under this key
* QueueError             the job queue refused or lost a job
"""

from __future__ import annotations


class StorageError(Exception):
    """The database or the blob store failed; the driver's error is the ``__cause__``."""


class BlobNotFound(StorageError):
    def __init__(self, sha256: str, where: str) -> None:
        super().__init__(
            f"No blob {sha256} in {where}. It was never stored, or was deleted outside trueclaim."
        )
        self.sha256 = sha256


class BlobCorrupted(StorageError):
    def __init__(self, sha256: str, actual: str, where: str) -> None:
        super().__init__(
            f"Blob {sha256} in {where} now hashes to {actual}: the stored original was altered. "
            "Restore it from a backup; trueclaim will not serve it."
        )
        self.sha256 = sha256
        self.actual = actual


class BlobConflict(StorageError):
    def __init__(self, sha256: str, where: str) -> None:
        super().__init__(
            f"Blob {sha256} in {where} holds different bytes; originals are never overwritten."
        )
        self.sha256 = sha256


class QueueError(Exception):
    """The job queue could not accept or run a job."""
