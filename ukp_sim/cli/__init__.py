"""The ``ukp-sim`` command line: one module per command."""
