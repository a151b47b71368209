"""Measurement harness: case manifests, the forgery generator, runs and scores.

This is a shell around ``trueclaim.forensics`` (it reads and writes files); the engine stays
pure. See ``docs/benchmark.md``.
"""

from trueclaim.bench.manifest import BenchCase, ManifestError, load_manifest
from trueclaim.bench.metrics import mask_iou, roc_auc, roc_curve, tpr_at_fpr

__all__ = [
    "BenchCase",
    "ManifestError",
    "load_manifest",
    "mask_iou",
    "roc_auc",
    "roc_curve",
    "tpr_at_fpr",
]
