"""Background jobs: one thin task per job (``tasks.py``)."""
