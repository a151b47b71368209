"""Content-addressed blob stores: local folder and S3 (boto3 against moto's server)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from trueclaim.adapters.blobs import LocalBlobStore, S3BlobStore
from trueclaim.adapters.errors import BlobCorrupted, BlobNotFound

PAYLOADS = [b"\x00", b"\xff\xd8\xff" + bytes(range(256)) * 40, "证据".encode()]


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def _s3(endpoint: str, bucket: str) -> S3BlobStore:
    store = S3BlobStore.connect(
        bucket,
        endpoint_url=endpoint,
        region="us-east-1",
        access_key_id="test",
        secret_access_key="test",
    )
    store._client.create_bucket(Bucket=bucket)
    return store


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path: Path) -> S3BlobStore | LocalBlobStore:
    if request.param == "local":
        return LocalBlobStore(tmp_path / "media")
    return _s3(request.getfixturevalue("moto_endpoint"), f"b-{os.urandom(4).hex()}")


@pytest.mark.parametrize("data", PAYLOADS, ids=["one-byte", "jpeg-ish", "utf8"])
def test_round_trip_is_byte_for_byte_under_the_sha256(store, data: bytes) -> None:
    key = store.put(data)
    assert key == hashlib.sha256(data).hexdigest()
    assert store.exists(key)
    assert store.get(key) == data


def test_same_bytes_twice_is_one_blob(store) -> None:
    assert store.put(b"abc") == store.put(b"abc")


def test_missing_and_malformed_keys(store) -> None:
    with pytest.raises(BlobNotFound):
        store.get("0" * 64)
    with pytest.raises(BlobNotFound):
        store.get("../../etc/passwd")
    assert not store.exists("0" * 64)


def test_local_store_detects_an_altered_original_and_never_overwrites(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "media")
    key = store.put(b"original")
    path = tmp_path / "media" / key[:2] / key[2:4] / key
    path.chmod(0o644)
    path.write_bytes(b"altered!")
    with pytest.raises(BlobCorrupted) as info:
        store.get(key)
    assert info.value.actual == hashlib.sha256(b"altered!").hexdigest()
    with pytest.raises(BlobCorrupted):
        store.put(b"original")  # the stored copy is checked, not silently replaced
    assert path.read_bytes() == b"altered!"


def test_s3_store_detects_an_altered_object(moto_endpoint: str) -> None:
    store = _s3(moto_endpoint, "tamper-test")
    key = store.put(b"original")
    store._client.put_object(Bucket="tamper-test", Key="blobs/" + key, Body=b"altered!")
    with pytest.raises(BlobCorrupted):
        store.get(key)
