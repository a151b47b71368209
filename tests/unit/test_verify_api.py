from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import trueclaim
from tests.conftest import encode
from trueclaim.forensics import InvalidParameter, Verdict


def test_verify_accepts_bytes_and_paths(tmp_path: Path, photo: np.ndarray) -> None:
    data = encode(photo)
    p = tmp_path / "e.jpg"
    p.write_bytes(data)
    by_bytes = trueclaim.verify(data)
    by_path = trueclaim.verify([p])
    assert by_bytes.inputs[0].sha256 == by_path.inputs[0].sha256
    assert by_bytes.verdict in tuple(Verdict)


def test_report_is_json_serialisable(photo: np.ndarray) -> None:
    report = trueclaim.verify(encode(photo), references=[encode(photo[:, ::-1])])
    blob = json.loads(report.to_json(include_masks=True))
    assert set(blob) >= {"risk", "verdict", "engine_version", "timings_ms", "findings", "inputs"}
    assert "decode" in blob["timings_ms"] and "total" in blob["timings_ms"]
    assert [i["role"] for i in blob["inputs"]] == ["evidence", "reference"]


def test_verify_needs_evidence() -> None:
    with pytest.raises(InvalidParameter, match="at least one evidence"):
        trueclaim.verify([])


def test_unreadable_evidence_is_reported_not_dropped(photo: np.ndarray) -> None:
    report = trueclaim.verify([b"not an image", encode(photo)])
    assert [i.status for i in report.inputs] == ["unreadable", "ok"]
    assert "evidence-unreadable" in report.codes
    assert report.verdict is not Verdict.GENUINE_LIKELY
