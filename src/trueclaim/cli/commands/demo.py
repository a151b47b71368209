"""``trueclaim demo``: a real check on embedded defaults (filled in with the bench generator)."""

from __future__ import annotations


def demo() -> None:
    """Make a forged claim from a bundled photo, check it, and write the HTML report."""
    raise NotImplementedError
