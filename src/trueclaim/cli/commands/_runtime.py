"""Settings and runtime for service commands, with errors a person can act on."""

from __future__ import annotations

from pydantic import ValidationError

from trueclaim.cli.errors import CLIError
from trueclaim.settings import Settings


def load_settings(**overrides: object) -> Settings:
    """``Settings`` from the environment; a bad value names its ``TRUECLAIM_*`` variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            key = "_".join(str(p) for p in err.get("loc", ())) or "settings"
            name = f"TRUECLAIM_{key.upper()}" if key != "settings" else "settings"
            lines.append(f"{name}: {err.get('msg')}")
        raise CLIError("Invalid settings:\n  " + "\n  ".join(lines)) from exc
