"""What the measures cost, and who pays: the NOK each payer spends in a run, per year, from the
run's own activity (KPI table) and the scenario's prices (docs/cost_sources.md).

The lines, each from what the run did, never from an assumed effect:
* each enabled measure's own cost (its plug-in's ``yearly_cost``: the discharge team's FTEs from
  its start, early assessments and frailty flags per UKP stay), split by payer as it says;
* beds a measure opens, in units of its own (escalation and seasonal beds) or added to the
  scenario's own units (extra beds, holidays without closures): KPI ``korttid_added_bed_days``
  x ``korttid_bed_day_nok``, paid by the municipality;
* the døgnpris (KPI ``cost_nok``): paid by the municipalities to the hospital, a transfer that
  cancels out for the health community as a whole.
A measure whose plug-in is not ``priced`` has no cost line (no price was found), and a priced one
may leave a part ``unpriced``: the report names both. The hospital's freed beds are given in beds
and UKP-days, not in NOK: a freed bed is capacity, not cash (docs/cost_sources.md, item 5).
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from ukp_sim.base.dates import period_bounds
from ukp_sim.base.vocabulary import TOTAL, WHOLE_YEAR
from ukp_sim.interventions import registry

# Pseudo-KPIs a cost table holds (per replication and year, municipality Total, month 0)
COST_KPIS = ("intervention_cost_municipality_nok", "intervention_cost_hospital_nok", "intervention_cost_nok",
             "municipality_pays_nok", "hospital_net_nok")
# What the savings table reports of them: quantity -> (pseudo-KPI, sign); sign +1 is baseline -
# scenario (a saving), -1 scenario - baseline (an extra cost).
COST_QUANTITIES = {
    "intervention_cost_nok": ("intervention_cost_nok", -1),
    "intervention_cost_municipality_nok": ("intervention_cost_municipality_nok", -1),
    "intervention_cost_hospital_nok": ("intervention_cost_hospital_nok", -1),
    "net_saving_municipality_nok": ("municipality_pays_nok", 1),
    "net_saving_hospital_nok": ("hospital_net_nok", 1),
    "net_saving_community_nok": ("intervention_cost_nok", 1),
}


def enabled_measures(scenario) -> list[str]:
    """The measures ``scenario`` switches on."""
    return [p.id for p in registry.plugins() if getattr(scenario.interventions, p.id).enabled]


def not_priced(scenario) -> list[str]:
    """The enabled measures of ``scenario`` that have no cost line."""
    return [p.id for p in registry.plugins()
            if getattr(scenario.interventions, p.id).enabled and not p.priced]


def partly_priced(scenario) -> list[str]:
    """The enabled, priced measures of ``scenario`` with a part that has no price."""
    return [p.id for p in registry.plugins()
            if getattr(scenario.interventions, p.id).enabled and p.priced and p.unpriced]


def covered_days(scenario, year: int) -> tuple[dt.date, dt.date]:
    """The first and last day of ``year`` inside the scenario's reported period."""
    _, first, end = period_bounds(scenario.period.start, scenario.period.years, scenario.period.warmup_days)
    return max(first, dt.date(year, 1, 1)), min(end - dt.timedelta(days=1), dt.date(year, 12, 31))


def measures_cost(scenario, year: int, activity: dict[str, float]) -> tuple[float, float]:
    """(municipalities, hospital) NOK of the enabled measures' own cost lines in ``year``."""
    municipality = hospital = 0.0
    days = covered_days(scenario, year)
    for p in registry.plugins():
        params = getattr(scenario.interventions, p.id)
        if params.enabled:
            m, h = p.yearly_cost(params, year, activity, scenario.costs, days)
            municipality, hospital = municipality + m, hospital + h
    return municipality, hospital


def cost_table(table: pd.DataFrame, scenario) -> pd.DataFrame:
    """The cost pseudo-KPIs of one scenario's KPI table (one row per replication [and world] and
    year, as the KPI rows they come from)."""
    keys = [k for k in ("world", "replication") if k in table.columns]
    sel = table[(table["month"] == WHOLE_YEAR) & (table["municipality"] == TOTAL)]
    wide = sel.pivot_table(index=[*keys, "year"], columns="kpi", values="value", aggfunc="first").fillna(0.0)
    years = wide.index.get_level_values("year").astype(int)
    own = [measures_cost(scenario, y, row) for y, row in zip(years, wide.to_dict("records"))]
    beds = (wide["korttid_added_bed_days"] if "korttid_added_bed_days" in wide.columns else 0.0)
    municipality = pd.Series([m for m, _ in own], index=wide.index) + beds * scenario.costs.korttid_bed_day_nok
    hospital = pd.Series([h for _, h in own], index=wide.index, dtype=float)
    dognpris = wide["cost_nok"] if "cost_nok" in wide.columns else 0.0
    out = pd.DataFrame({
        "intervention_cost_municipality_nok": municipality,
        "intervention_cost_hospital_nok": hospital,
        "intervention_cost_nok": municipality + hospital,
        "municipality_pays_nok": municipality + dognpris,
        "hospital_net_nok": hospital - dognpris,
    }, index=wide.index)
    long = out.reset_index().melt(id_vars=[*keys, "year"], var_name="kpi", value_name="value")
    return long.assign(month=WHOLE_YEAR, municipality=TOTAL)
