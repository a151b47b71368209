"""The domain stays plain Python (style.md §1), and its public names match ``__all__``."""

from __future__ import annotations

import subprocess
import sys


def test_domain_imports_no_database_web_or_queue_code() -> None:
    code = (
        "import sys, pkgutil, importlib, trueclaim.domain, trueclaim.domain.services\n"
        "for pkg in (trueclaim.domain, trueclaim.domain.services):\n"
        "    for m in pkgutil.iter_modules(pkg.__path__):\n"
        "        importlib.import_module(pkg.__name__ + '.' + m.name)\n"
        "bad = [m for m in ('sqlalchemy', 'fastapi', 'redis', 'celery', 'starlette', 'boto3', "
        "'alembic')"
        " if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_domain_all_is_complete() -> None:
    import trueclaim.domain as d

    for name in d.__all__:
        assert hasattr(d, name), name
    assert sorted(d.__all__) == sorted(set(d.__all__))
