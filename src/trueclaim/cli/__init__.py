"""The ``trueclaim`` command line."""
