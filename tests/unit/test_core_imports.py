"""The engine must stay free of web, database and queue code (style.md §1)."""

from __future__ import annotations

import subprocess
import sys


def test_forensics_imports_no_service_code() -> None:
    code = (
        "import sys, trueclaim.forensics, trueclaim.forensics.pipeline\n"
        "from trueclaim.forensics.params import ALL_DETECTORS\n"
        "import importlib\n"
        "[importlib.import_module('trueclaim.forensics.' + d) for d in ALL_DETECTORS]\n"
        "bad = [m for m in ('sqlalchemy', 'fastapi', 'redis', 'celery', 'starlette', 'typer')"
        " if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_public_api_matches_all() -> None:
    import trueclaim
    import trueclaim.forensics as f

    for mod in (trueclaim, f):
        for name in mod.__all__:
            assert hasattr(mod, name), name
        public = {n for n in dir(mod) if not n.startswith("_")} - {
            "annotations",
            "os",
            "Path",
            "Sequence",
            "Source",
            "forensics",
            "cli",
            "reporting",
            "decode",
            "errors",
            "params",
            "pipeline",
            "types",
            "version",
            "case",
            "scoring",
            "metadata",
            "provenance",
            "watermark",
            "derivation",
            "screen",
            "tamper",
            "identity",
        }
        assert public <= set(mod.__all__) | {
            n
            for n in public
            if n.islower() and n not in mod.__all__ and not callable(getattr(mod, n))
        }
