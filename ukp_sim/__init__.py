"""ukp-sim: discharge-ready patients (UKP) between St. Olavs hospital and its municipalities."""


def __getattr__(name: str) -> str:
    # __version__ is read on first use: importlib.metadata costs ~0.15 CPU-s, which every start of
    # the command (--help, validate) would otherwise pay.
    if name != "__version__":
        raise AttributeError(f"module 'ukp_sim' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        value = version("ukp-sim")
    except PackageNotFoundError:  # running from a source tree that is not installed
        value = "0.1.0"
    globals()["__version__"] = value
    return value
