"""The SimPy model: one file per place a patient can be."""
from .core import Model, build_calendar, period_bounds

__all__ = ["Model", "build_calendar", "period_bounds"]
