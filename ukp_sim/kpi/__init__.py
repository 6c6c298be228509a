"""The KPIs: computed from one run's records as DOMAIN.md defines them."""
from ukp_sim.base.vocabulary import TOTAL, WHOLE_YEAR
from ukp_sim.kpi.compute import DEFINITIONS, KpiDefinition, compute_kpis, definitions_for

__all__ = ["DEFINITIONS", "TOTAL", "WHOLE_YEAR", "KpiDefinition", "compute_kpis", "definitions_for"]
