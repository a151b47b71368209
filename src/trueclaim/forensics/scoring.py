"""Findings to one risk in [0, 1] and a verdict.

The model is a logistic regression over per-code evidence: risk = sigmoid(b + sum_c w_c * s_c +
sum_(a,b) v_ab * s_a * s_b), where s_c is the strongest score of code c in the claim (each code
counts once) and the second sum runs over the model's interactions: pairs of codes that,
found together, say more than the sum of each (``v_ab >= 0``, so adding a finding never lowers
the risk). Coefficients are data (``score_model.json`` beside this module), refitted by
``trueclaim bench fit``. Every verdict lists the codes that drove it, strongest first; an
interaction is listed as ``a + b``.

Codes that say a check could not be made (``codes.UNCHECKED_CODES``: a file that does not
decode, a detector that failed) carry no weight, whatever the model file says: nothing was
measured, so nothing moves the risk either way. An unreadable evidence file still never reads
as genuine: its verdict is at least ``needs-review``, with ``evidence-unreadable`` as its driver
(and the routing policy sends such a claim to people on its own).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from trueclaim.forensics.codes import UNCHECKED_CODES
from trueclaim.forensics.types import Finding, Verdict


@dataclass(frozen=True, slots=True)
class ScoreModel:
    """Intercept and per-code weights of the logistic risk model."""

    intercept: float
    weights: Mapping[str, float]
    default_weight_by_severity: Mapping[str, float]
    version: str = "0"
    interactions: Mapping[tuple[str, str], float] = field(default_factory=dict)

    def weight(self, finding: Finding) -> float:
        if finding.code in self.weights:
            return self.weights[finding.code]
        return self.default_weight_by_severity.get(finding.severity.value, 0.0)


@dataclass(frozen=True, slots=True)
class Scored:
    risk: float
    verdict: Verdict
    drivers: tuple[str, ...]
    contributions: Mapping[str, float]


@lru_cache(maxsize=1)
def load_model() -> ScoreModel:
    """The packaged model (``score_model.json``)."""
    text = resources.files("trueclaim.forensics").joinpath("score_model.json").read_text("utf-8")
    raw = json.loads(text)
    return ScoreModel(
        intercept=float(raw["intercept"]),
        weights={str(k): float(v) for k, v in raw["weights"].items()},
        default_weight_by_severity={
            str(k): float(v) for k, v in raw["default_weight_by_severity"].items()
        },
        version=str(raw.get("version", "0")),
        interactions=parse_interactions(raw.get("interactions", [])),
    )


def parse_interactions(raw: object) -> dict[tuple[str, str], float]:
    """``[{"codes": [a, b], "weight": w}, ...]`` to ``{(a, b): w}`` (codes sorted)."""
    if not isinstance(raw, list):
        raise ValueError("score model 'interactions' must be a list of {codes, weight}.")
    out: dict[tuple[str, str], float] = {}
    for entry in raw:
        codes = entry.get("codes") if isinstance(entry, dict) else None
        if not isinstance(codes, list) or len(codes) != 2 or codes[0] == codes[1]:
            raise ValueError(f"score model interaction {entry!r} needs two different codes.")
        a, b = sorted(str(c) for c in codes)
        out[(a, b)] = float(entry["weight"])
    return out


def score_findings(
    findings: Sequence[Finding],
    *,
    review_threshold: float,
    forgery_threshold: float,
    model: ScoreModel | None = None,
) -> Scored:
    """Combine findings into a risk and a verdict.

    Parameters
    ----------
    findings : sequence of Finding
    review_threshold, forgery_threshold : float
        Risk at or above ``review_threshold`` is ``needs-review``; at or above
        ``forgery_threshold`` it is ``forgery-likely``.
    model : ScoreModel, optional
        Defaults to the packaged, fitted model.
    """
    model = model or load_model()
    strongest: dict[str, float] = {}
    scores: dict[str, float] = {}  # strongest score per code, for the interactions
    for f in findings:
        if f.code in UNCHECKED_CODES:  # nothing was measured: no weight, no interaction
            continue
        s = max(0.0, min(1.0, float(f.score)))
        scores[f.code] = max(scores.get(f.code, 0.0), s)
        c = model.weight(f) * s
        if c != 0.0 and abs(c) > abs(strongest.get(f.code, 0.0)):
            strongest[f.code] = c
    for (a, b), v in model.interactions.items():
        c = v * scores.get(a, 0.0) * scores.get(b, 0.0)
        if c != 0.0:
            strongest[f"{a} + {b}"] = c
    z = model.intercept + sum(strongest.values())
    risk = 1.0 / (1.0 + math.exp(-z))
    unread = any(f.code == "evidence-unreadable" for f in findings)
    if risk >= forgery_threshold:
        verdict = Verdict.FORGERY_LIKELY
    elif risk >= review_threshold or unread:
        verdict = Verdict.NEEDS_REVIEW
    else:
        verdict = Verdict.GENUINE_LIKELY
    drivers = tuple(code for code, c in sorted(strongest.items(), key=lambda kv: -kv[1]) if c > 0)
    if unread and verdict is Verdict.NEEDS_REVIEW and risk < review_threshold:
        drivers = ("evidence-unreadable", *drivers)  # what holds it back from genuine
    return Scored(risk=risk, verdict=verdict, drivers=drivers, contributions=strongest)
