"""The domain's ports made real: SQL, blob stores, job queues."""
