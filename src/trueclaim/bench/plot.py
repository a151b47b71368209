"""The ROC curve of a bench run as a PNG (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from trueclaim.bench.summary import BenchSummary


def plot_roc(summary: BenchSummary, path: Path) -> None:
    """Write the ROC curve (linear and log-FPR panels) of ``summary`` to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if summary.roc is None:
        raise ValueError("the summary has no ROC curve (it needs forged and genuine cases)")
    roc = summary.roc
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.5))
    title = f"AUC {summary.auc:.3f} · {summary.forged} forged / {summary.genuine} genuine"
    for ax, log in zip(axes, (False, True), strict=True):
        # straight segments: ties between forged and genuine risks are diagonal on a ROC
        fpr = np.maximum(roc.fpr, 5e-4) if log else roc.fpr  # FPR 0 drawn at the left edge
        ax.plot(fpr, roc.tpr, color="#b3261e", lw=2)
        ax.set_xlabel("false-positive rate (genuine flagged)")
        ax.set_ylabel("true-positive rate (forged flagged)")
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
        if log:
            ax.set_xscale("log")
            ax.set_xlim(1e-3, 1)
            for x in (0.001, 0.01):
                ax.axvline(x, color="grey", ls="--", lw=0.8)
            ax.set_title("log FPR")
        else:
            ax.plot([0, 1], [0, 1], color="grey", ls=":", lw=1)
            ax.set_xlim(0, 1)
            ax.set_title(title)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
