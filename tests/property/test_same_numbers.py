"""The engine's fast paths give exactly what the library calls they replace give.

``matching.match_features`` reads one Hamming distance matrix instead of OpenCV's brute-force
matcher; ``order_stats.median``, ``order_stats.stable_argsort`` and ``localize._by_level``
replace ``np.median``, ``np.argsort(kind="stable")`` and a loop over ``np.array_split``. Masks
and scores depend on them bit for bit, so each is checked against its original on hostile
inputs: heavy ties, signed zeros, NaN and infinities, odd and even lengths.
"""

from __future__ import annotations

import cv2
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from trueclaim.forensics import localize, order_stats
from trueclaim.forensics.matching import Features, _hamming_distances, match_features

FLOATS = st.sampled_from([np.float32, np.float64])
# Few distinct values: ties everywhere, and the zeros and non-finite values that order oddly.
TIED = st.sampled_from([0.0, -0.0, 1.0, -1.0, 2.5, 1e-30, np.inf, -np.inf, 3.0, 0.5])


def _opencv_matches(ref: Features, ev: Features, ratio: float = 0.8) -> tuple[list, list]:
    """The matcher as it was: BFMatcher ratio test one way, then the mutual check."""
    matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
    forward = matcher.knnMatch(ev.descriptors, ref.descriptors, k=2)
    passed = [p[0] for p in forward if len(p) == 2 and p[0].distance < ratio * p[1].distance]
    if not passed:
        return [], []
    chosen = np.unique([m.trainIdx for m in passed])
    back_of = np.full(len(ref), -1)
    for m in matcher.match(ref.descriptors[chosen], ev.descriptors):
        back_of[chosen[m.queryIdx]] = m.trainIdx
    kept = [m for m in passed if back_of[m.trainIdx] == m.queryIdx]
    return [m.trainIdx for m in kept], [m.queryIdx for m in kept]


def _features(rng: np.random.Generator, n: int, alphabet: int) -> Features:
    # Descriptors drawn from a small pool of bytes: many equal distances, many ties.
    pool = rng.integers(0, 256, alphabet, dtype=np.uint8)
    desc = pool[rng.integers(0, alphabet, (n, 32))]
    points = np.column_stack([np.arange(n), np.arange(n)]).astype(np.float32)
    return Features(points, desc, (100, 100))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 300), st.integers(2, 300), st.integers(1, 6))
def test_match_features_gives_the_brute_force_matchers_pairs(
    seed: int, n_ref: int, n_ev: int, alphabet: int
) -> None:
    rng = np.random.default_rng(seed)
    ref, ev = _features(rng, n_ref, alphabet), _features(rng, n_ev, alphabet)
    ref_idx, ev_idx = _opencv_matches(ref, ev)
    src, dst = match_features(ref, ev)
    assert src[:, 0].astype(int).tolist() == ref_idx
    assert dst[:, 0].astype(int).tolist() == ev_idx


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 600), st.integers(1, 40))
def test_hamming_distances_are_opencvs(seed: int, n_q: int, n_t: int) -> None:
    rng = np.random.default_rng(seed)
    q = rng.integers(0, 256, (n_q, 32), dtype=np.uint8)
    t = rng.integers(0, 256, (n_t, 32), dtype=np.uint8)
    # The definition: differing bits, every pair of rows.
    expected = np.unpackbits(q[:, None, :] ^ t[None, :, :], axis=2).sum(axis=2)
    assert np.array_equal(_hamming_distances(q, t), expected)
    assert expected[0, 0] == cv2.norm(q[:1], t[:1], cv2.NORM_HAMMING)


@settings(max_examples=200, deadline=None)
@given(FLOATS.flatmap(lambda dt: hnp.arrays(dt, st.integers(1, 400), elements=TIED)))
def test_median_is_numpys(values: np.ndarray) -> None:
    got, expected = order_stats.median(values), float(np.median(values))
    assert np.array_equal(np.float64(got), np.float64(expected), equal_nan=True)
    assert np.signbit(got) == np.signbit(expected)


@settings(max_examples=200, deadline=None)
@given(hnp.arrays(np.float32, st.integers(1, 400), elements=st.one_of(TIED, st.just(np.nan))))
def test_stable_argsort_is_numpys(values: np.ndarray) -> None:
    assert np.array_equal(order_stats.stable_argsort(values), np.argsort(values, kind="stable"))


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(20, 20_000))
def test_by_level_is_the_per_bin_medians(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 6, n).astype(np.float32)  # tied values, tied levels
    levels = rng.integers(0, 9, n).astype(np.float32)
    at = rng.uniform(-1.0, 10.0, 50).astype(np.float32)
    step = max(1, values.size // localize.BAND_SAMPLES)
    order = np.argsort(levels[::step], kind="stable")
    lv, vv = levels[::step][order], values[::step][order]
    chunks = max(1, min(localize.BAND_LEVEL_BINS, lv.size // 20))
    centres = [float(c[c.size // 2]) for c in np.array_split(lv, chunks)]
    medians = [float(np.median(c)) for c in np.array_split(vv, chunks)]
    expected = np.interp(at, centres, medians).astype(np.float32)
    assert np.array_equal(localize._by_level(values, levels, at), expected)
