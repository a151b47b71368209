from __future__ import annotations

import json

import numpy as np
import pytest

from trueclaim.bench.fit import FitCase, fit_score_model
from trueclaim.forensics.scoring import ScoreModel, parse_interactions, score_findings
from trueclaim.forensics.types import Finding, Severity


def _case(label: int, **codes: float) -> FitCase:
    return FitCase(
        label,
        [{"code": k.replace("_", "-"), "score": v, "severity": "high"} for k, v in codes.items()],
    )


def _synthetic(seed: int) -> list[FitCase]:
    rng = np.random.default_rng(seed)
    cases = []
    for _ in range(200):
        cases.append(_case(1, derived_with_local_edit=float(rng.uniform(0.6, 1.0))))
        cases.append(_case(0, camera_origin=float(rng.uniform(0.5, 1.0))))
        cases.append(_case(0, noise_inconsistency=float(rng.uniform(0, 0.4))))
        cases.append(
            _case(
                1,
                noise_inconsistency=float(rng.uniform(0, 0.4)),
                screenshot=float(rng.uniform(0.7, 1)),
            )
        )
    return cases


def test_fit_separates_and_respects_sign_constraints() -> None:
    result = fit_score_model(_synthetic(0))
    assert result.weights["derived-with-local-edit"] > 3
    assert result.weights["screenshot"] > 3
    assert -1.5 <= result.weights["camera-origin"] <= 0
    assert result.weights["noise-inconsistency"] >= 0
    assert result.n_forged == 400 and result.n_genuine == 400


def test_fitted_model_round_trips_into_scoring() -> None:
    result = fit_score_model(_synthetic(1))
    raw = json.loads(result.to_model_json(version="t", note="test"))
    model = ScoreModel(raw["intercept"], raw["weights"], raw["default_weight_by_severity"])
    forged = Finding("derivation", "derived-with-local-edit", Severity.HIGH, 0.9, "", "")
    genuine = Finding("provenance", "camera-origin", Severity.INFO, 0.9, "", "")
    hi = score_findings([forged], review_threshold=0.35, forgery_threshold=0.75, model=model)
    lo = score_findings([genuine], review_threshold=0.35, forgery_threshold=0.75, model=model)
    assert hi.risk > 0.9 > 0.1 > lo.risk
    assert hi.drivers == ("derived-with-local-edit",)


def test_rare_codes_keep_the_prior() -> None:
    cases = [*_synthetic(2), _case(1, c2pa_ai_generated=1.0)]
    result = fit_score_model(cases, min_count=3)
    assert "c2pa-ai-generated" not in result.weights
    assert result.codes_seen["c2pa-ai-generated"] == 1


def test_one_class_is_an_error() -> None:
    with pytest.raises(ValueError, match="forged and genuine"):
        fit_score_model([_case(1, screenshot=1.0)])


def test_ai_label_codes_keep_at_least_the_high_prior() -> None:
    rng = np.random.default_rng(3)
    cases = _synthetic(3)
    # A generator trace that also shows up on a few honest files must still count strongly.
    cases += [_case(1, generator_metadata=0.9) for _ in range(5)]
    cases += [_case(0, generator_metadata=float(rng.uniform(0.5, 0.9))) for _ in range(5)]
    result = fit_score_model(cases)
    assert result.weights["generator-metadata"] >= 5.0


def test_screen_codes_keep_the_floor() -> None:
    from trueclaim.bench.fit import SCREEN_FLOOR

    rng = np.random.default_rng(5)
    cases = _synthetic(5)
    # A few recaptures among many honest photos with the same weak note: the fit alone
    # would weigh the code low; a screen must still reach review when flagged.
    cases += [_case(1, screen_recapture=0.6) for _ in range(4)]
    cases += [_case(0, screen_recapture=float(rng.uniform(0.3, 0.6))) for _ in range(12)]
    result = fit_score_model(cases)
    assert result.weights["screen-recapture"] >= SCREEN_FLOOR
    assert result.weights["noise-inconsistency"] < SCREEN_FLOOR  # other codes are not floored


def test_a_screenshot_of_a_photo_keeps_the_floor_beside_a_derivation() -> None:
    from trueclaim.bench.fit import SCREEN_FLOOR

    cases = _synthetic(6)
    # Derived forgeries screenshotted: the derivation code alone explains them, so the fit
    # has no use for the screenshot code; a screenshot of a photo alone must still count.
    cases += [_case(1, derived_from_reference=0.95, screenshot_of_photo=0.6) for _ in range(20)]
    cases += [_case(0, derived_from_reference=0.1) for _ in range(20)]
    result = fit_score_model(cases)
    assert result.weights["screenshot-of-photo"] >= SCREEN_FLOOR


def _xor_like(seed: int) -> list[FitCase]:
    """Each of two weak codes alone is as common in honest cases; together they mean forged."""
    rng = np.random.default_rng(seed)
    cases = []
    for _ in range(150):
        s = float(rng.uniform(0.7, 1.0))
        cases.append(_case(0, double_jpeg=s))
        cases.append(_case(0, noise_inconsistency=s))
        cases.append(_case(1, double_jpeg=s, noise_inconsistency=s))
        cases.append(_case(0))
        cases.append(_case(1, derived_with_local_edit=s))
    return cases


def test_interaction_is_learnt_and_scored_and_never_lowers_risk() -> None:
    result = fit_score_model(_xor_like(4))
    pair = ("double-jpeg", "noise-inconsistency")
    assert result.interactions[pair] > 1.0
    assert all(v >= 0.0 for v in result.interactions.values())
    raw = json.loads(result.to_model_json(version="t", note="test"))
    assert {"codes": list(pair), "weight": round(result.interactions[pair], 4)} in raw[
        "interactions"
    ]
    model = ScoreModel(
        raw["intercept"],
        raw["weights"],
        raw["default_weight_by_severity"],
        interactions=parse_interactions(raw["interactions"]),
    )
    both = [
        Finding("tamper", "double-jpeg", Severity.LOW, 0.9, "", ""),
        Finding("tamper", "noise-inconsistency", Severity.INFO, 0.9, "", ""),
    ]
    kw = {"review_threshold": 0.35, "forgery_threshold": 0.75, "model": model}
    together = score_findings(both, **kw)  # type: ignore[arg-type]
    apart = [score_findings([f], **kw) for f in both]  # type: ignore[arg-type]
    assert together.risk > 0.5 > max(a.risk for a in apart)
    assert "double-jpeg + noise-inconsistency" in together.drivers
    without = fit_score_model(_xor_like(4), interaction_min_count=0)
    assert without.interactions == {}


def test_genuine_leaning_and_label_codes_get_no_interactions() -> None:
    cases = _xor_like(5) + [
        _case(1, camera_origin=0.9, matches_ordered_product=0.9, generator_metadata=0.9)
        for _ in range(20)
    ]
    pairs = fit_score_model(cases).interactions
    assert pairs and all(
        "camera-origin" not in p
        and "generator-metadata" not in p
        and "matches-ordered-product" not in p
        for p in pairs
    )


@pytest.mark.parametrize(
    "raw",
    [{"codes": ["a"], "weight": 1.0}, {"codes": ["a", "a"], "weight": 1.0}, "a+b"],
)
def test_malformed_interactions_are_refused(raw: object) -> None:
    with pytest.raises(ValueError, match="interaction"):
        parse_interactions([raw])
    with pytest.raises(ValueError, match="must be a list"):
        parse_interactions({"codes": ["a", "b"]})
