"""ukp-sim: discharge-ready patients (UKP) between St. Olavs hospital and its municipalities."""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ukp-sim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.1.0"
