"""Use cases: each function takes ``Services`` and the calling ``Principal``."""
