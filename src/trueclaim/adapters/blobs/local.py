"""Blobs in a local folder: ``<root>/ab/cd/abcd...``, written once, checked on every read."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from trueclaim.adapters.errors import BlobConflict, BlobCorrupted, BlobNotFound, StorageError

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def check_key(sha256: str) -> str:
    if not _SHA256.match(sha256):
        raise BlobNotFound(sha256, "the blob store (not a SHA-256 hex digest)")
    return sha256


class LocalBlobStore:
    """Originals byte for byte; an existing blob is never overwritten."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                f"Cannot create the media folder {self.root}: {exc.strerror}. "
                "Set TRUECLAIM_MEDIA_DIR to a writable folder."
            ) from exc

    def _path(self, sha256: str) -> Path:
        check_key(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        path = self._path(sha)
        if path.exists():
            self.get(sha)  # verifies the stored copy; identical bytes need no second write
            return sha
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            try:
                os.link(tmp, path)  # fails if another writer got there first: never overwrite
            except FileExistsError:
                pass
            finally:
                os.unlink(tmp)
            os.chmod(path, 0o444)
        except OSError as exc:
            raise StorageError(f"Cannot store blob {sha} in {self.root}: {exc.strerror}.") from exc
        if hashlib.sha256(path.read_bytes()).hexdigest() != sha:
            raise BlobConflict(sha, str(self.root))
        return sha

    def get(self, sha256: str) -> bytes:
        path = self._path(sha256)
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise BlobNotFound(sha256, str(self.root)) from exc
        except OSError as exc:
            raise StorageError(
                f"Cannot read blob {sha256} in {self.root}: {exc.strerror}."
            ) from exc
        actual = hashlib.sha256(data).hexdigest()
        if actual != sha256:
            raise BlobCorrupted(sha256, actual, str(self.root))
        return data

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).exists()
