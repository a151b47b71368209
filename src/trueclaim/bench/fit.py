"""Fit the risk model (``forensics/score_model.json``) on bench results.

The model is the logistic regression of ``forensics/scoring.py``: one weight per finding code,
applied to that code's strongest score in a case. Fitting is L2-regularised maximum likelihood
with box constraints, so that it stays transparent and cannot learn nonsense from a small set:

* codes that signal forgery may only push risk up (weight >= 0): a missing label or a clean
  check is never evidence of genuineness;
* codes listed in ``GENUINE_LEANING`` (camera origin, a match with the ordered product) may pull
  risk down a little (-1.5 <= weight <= 0), never enough to clear a file on their own, and
  never up: the generator adds fake camera EXIF to forgeries, which must not teach the model
  that camera data is suspicious;
* AI-label codes (``forensics.codes.AI_LABEL_CODES``) keep at least the prior of a high
  finding: labels are positive-only evidence whose strength the specification orders, and a
  development set holds too few labelled files for the fit to judge them (shrinkage would
  otherwise pull a generator's own metadata below the review threshold);
* screen codes (``SCREEN_CODES``: a screenshot, a screenshot of a photo, a photo of a
  screen) keep at least ``SCREEN_FLOOR``: a finding at the screen detector's flag score (0.5)
  then adds 1.5 to the log-odds, which with the usual intercept (about -2) routes the claim to
  review (0.35). A screen is never a photo of the goods, and a development set holds too few
  real photos of screens (23) for the fit to weigh them against the honest photos that show a
  regular texture: the fit alone gave a recapture flagged at medium a risk of 0.26 (approve), and a
  screenshot of a photo a weight of 1.0 (its derived forgeries carry the derivation codes, so
  the fit had no need of it; a real screenshot of a photo on its own then scored 0.23);
* codes absent from the fitting data keep the severity prior, so a rare strong label (say a
  signed C2PA manifest) still counts;
* codes that say a check could not be made (``forensics.codes.UNCHECKED_CODES``: an
  unreadable file, a failed detector) are left out: they carry no weight at scoring time;
* interactions (a weight on the product of two codes' scores) are fitted for pairs of
  suspicious codes (neither an AI label nor genuine-leaning) found together in at least
  ``interaction_min_count`` cases, with weights in ``[0, max_interaction]`` and a stronger
  ridge penalty: a pair may say more than its two findings apart, never less, so adding a
  finding never lowers a risk.

The classes are balanced (each label weighs half) so the fit does not follow the set's mix.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize

from trueclaim.forensics.codes import AI_LABEL_CODES, UNCHECKED_CODES

GENUINE_LEANING = frozenset({"camera-origin", "matches-ordered-product"})
NEVER_WEIGHTED = UNCHECKED_CODES  # nothing was measured: never fitted, never weighted
SCREEN_CODES = frozenset({"screen-recapture", "screenshot", "screenshot-of-photo"})
SCREEN_FLOOR = 3.0
SEVERITY_PRIOR = {"info": 0.0, "low": 1.0, "medium": 2.5, "high": 5.0, "critical": 8.0}


@dataclass(frozen=True, slots=True)
class FitCase:
    """One labelled case: its label (1 forged, 0 genuine) and the findings the engine made."""

    label: int
    findings: Sequence[Mapping[str, object]]  # each {"code", "score", "severity"}


@dataclass(frozen=True, slots=True)
class FitResult:
    intercept: float
    weights: Mapping[str, float]
    codes_seen: Mapping[str, int]
    n_forged: int
    n_genuine: int
    log_loss: float
    interactions: Mapping[tuple[str, str], float] = field(default_factory=dict)

    def to_model_json(self, *, version: str, note: str) -> str:
        return (
            json.dumps(
                {
                    "version": version,
                    "note": note,
                    "intercept": round(self.intercept, 4),
                    "weights": {k: round(v, 4) for k, v in sorted(self.weights.items())},
                    "interactions": [
                        {"codes": list(pair), "weight": round(v, 4)}
                        for pair, v in sorted(self.interactions.items())
                        if round(v, 4) > 0
                    ],
                    "default_weight_by_severity": SEVERITY_PRIOR,
                    "fit": {
                        "n_forged": self.n_forged,
                        "n_genuine": self.n_genuine,
                        "balanced_log_loss": round(self.log_loss, 5),
                        "codes_seen": dict(sorted(self.codes_seen.items())),
                    },
                },
                indent=2,
                ensure_ascii=False,
            )
            + "\n"
        )


def _strongest(findings: Sequence[Mapping[str, object]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for f in findings:
        code = str(f.get("code", ""))
        if not code or code in NEVER_WEIGHTED:
            continue
        score = float(f.get("score", 0.0) or 0.0)  # type: ignore[arg-type]
        out[code] = max(out.get(code, 0.0), min(1.0, max(0.0, score)))
    return out


def _pairs(
    rows: Sequence[Mapping[str, float]], allowed: set[str], min_count: int
) -> list[tuple[str, str]]:
    """Pairs of ``allowed`` codes found together in at least ``min_count`` cases, sorted."""
    if min_count <= 0:
        return []
    together: dict[tuple[str, str], int] = {}
    for r in rows:
        present = sorted(c for c in r if c in allowed and r[c] > 0)
        for i, a in enumerate(present):
            for b in present[i + 1 :]:
                together[(a, b)] = together.get((a, b), 0) + 1
    return sorted(p for p, n in together.items() if n >= min_count)


def fit_score_model(
    cases: Sequence[FitCase],
    *,
    l2: float = 0.002,
    max_weight: float = 12.0,
    min_count: int = 3,
    interaction_min_count: int = 15,
    interaction_l2: float = 0.01,
    max_interaction: float = 6.0,
    min_interaction: float = 0.05,
) -> FitResult:
    """Fit intercept and per-code weights on labelled cases.

    Parameters
    ----------
    cases : sequence of FitCase
        Must contain both forged and genuine cases.
    l2 : float
        Ridge penalty on the weights (not the intercept), per unit of total case weight.
    max_weight : float
        Upper bound of every weight.
    min_count : int
        Codes seen in fewer cases than this keep their severity prior (not fitted).
    interaction_min_count : int
        Pairs of codes found together in fewer cases than this get no interaction; 0 turns
        interactions off.
    interaction_l2, max_interaction : float
        Ridge penalty and upper bound of the interaction weights.
    min_interaction : float
        Interactions fitted below this are dropped and the model is fitted again without them.
    """
    labels = np.array([c.label for c in cases], dtype=float)
    n_pos, n_neg = int(labels.sum()), int(len(labels) - labels.sum())
    if n_pos == 0 or n_neg == 0:
        raise ValueError(
            f"Fitting needs forged and genuine cases; got {n_pos} forged, {n_neg} genuine."
        )
    rows = [_strongest(c.findings) for c in cases]
    counts: dict[str, int] = {}
    for r in rows:
        for code in r:
            counts[code] = counts.get(code, 0) + 1
    codes = sorted(c for c, n in counts.items() if n >= min_count)
    pairs = _pairs(rows, set(codes) - AI_LABEL_CODES - GENUINE_LEANING, interaction_min_count)
    limits = (l2, max_weight, interaction_l2, max_interaction)
    b, w, ll = _solve(rows, labels, codes, pairs, *limits)
    kept = [pr for pr, v in zip(pairs, w[len(codes) :], strict=True) if v >= min_interaction]
    if len(kept) < len(pairs):  # refit without the negligible pairs: fewer, clearer drivers
        pairs = kept
        b, w, ll = _solve(rows, labels, codes, pairs, *limits)
    return FitResult(
        intercept=b,
        weights={c: float(wi) for c, wi in zip(codes, w[: len(codes)], strict=True)},
        interactions={pr: float(v) for pr, v in zip(pairs, w[len(codes) :], strict=True)},
        codes_seen=counts,
        n_forged=n_pos,
        n_genuine=n_neg,
        log_loss=float(ll) if math.isfinite(ll) else float("inf"),
    )


def _weight_bounds(code: str, max_weight: float) -> tuple[float, float]:
    """The box one code's weight is fitted in (see the module docstring)."""
    if code in GENUINE_LEANING:
        return -1.5, 0.0
    if code in AI_LABEL_CODES:
        return SEVERITY_PRIOR["high"], max_weight
    if code in SCREEN_CODES:
        return min(SCREEN_FLOOR, max_weight), max_weight
    return 0.0, max_weight


def _solve(
    rows: Sequence[Mapping[str, float]],
    labels: np.ndarray,
    codes: Sequence[str],
    pairs: Sequence[tuple[str, str]],
    l2: float,
    max_weight: float,
    interaction_l2: float,
    max_interaction: float,
) -> tuple[float, np.ndarray, float]:
    """Intercept, weights (codes then pairs) and balanced log loss of one constrained fit."""
    n_pos = int(labels.sum())
    n_neg = len(labels) - n_pos
    x = np.zeros((len(rows), len(codes) + len(pairs)))
    index = {c: i for i, c in enumerate(codes)}
    for i, r in enumerate(rows):
        for code, s in r.items():
            if code in index:
                x[i, index[code]] = s
        for j, (a, b_) in enumerate(pairs):
            x[i, len(codes) + j] = r.get(a, 0.0) * r.get(b_, 0.0)
    sample_w = np.where(labels == 1, 0.5 / n_pos, 0.5 / n_neg)
    penalty = np.r_[np.full(len(codes), l2), np.full(len(pairs), interaction_l2)]

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        b, w = theta[0], theta[1:]
        z = b + x @ w
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -35, 35)))
        eps = 1e-12
        ll = -(sample_w * (labels * np.log(p + eps) + (1 - labels) * np.log(1 - p + eps))).sum()
        grad_z = sample_w * (p - labels)
        g = np.concatenate([[grad_z.sum()], x.T @ grad_z + 2 * penalty * w])
        return float(ll + (penalty * w) @ w), g

    bounds = (
        [(-12.0, 6.0)]
        + [_weight_bounds(c, max_weight) for c in codes]
        + [(0.0, max_interaction)] * len(pairs)
    )
    theta0 = np.zeros(len(codes) + len(pairs) + 1)
    theta0[0] = -2.0
    res = minimize(loss, theta0, jac=True, method="L-BFGS-B", bounds=bounds)
    b, w = float(res.x[0]), res.x[1:]
    z = b + x @ w
    p = 1.0 / (1.0 + np.exp(-np.clip(z, -35, 35)))
    eps = 1e-12
    ll = -(sample_w * (labels * np.log(p + eps) + (1 - labels) * np.log(1 - p + eps))).sum()
    return b, w, float(ll)
