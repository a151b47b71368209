"""Job queues: in-process (thread pool, the default) and Celery (Redis)."""

from trueclaim.adapters.queue.inline import InlineJobQueue

__all__ = ["InlineJobQueue"]
