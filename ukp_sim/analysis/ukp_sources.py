"""Where a scenario's UKP-days come from: stays, 0-day share and days per stay by municipality
group and destination.

Calibration needs this to be read, not guessed: the community's UKP-days are the product of the
number of UKP stays, the share that wait at least a day and how long those wait, and each of the
three is driven by different parameters (the number of stays, weekend reception and decision
hours, korttid beds and home-service intake, complex planning). A stay is counted in the year it is
declared and its days are discharge date minus declaration date (the national counting rule), so
the totals can differ slightly from the `ukp_days` KPI, which counts each day in the year it falls on.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ukp_sim.config.scenario import Scenario
from ukp_sim.sim.model import Model, period_bounds
from ukp_sim.sim.records import HOME_NEW, HOME_NONE, KORTTID

OTHERS = "others"
DESTINATIONS = {KORTTID: "korttid", HOME_NEW: "home_new_services", HOME_NONE: "home_no_new_services"}


def ukp_day_sources(s: Scenario, seed: int, reps: int) -> pd.DataFrame:
    """Mean per replication of stays, 0-day share, UKP-days and days per stay, by group (each
    municipality of the scenario's ``community.groups``, then "others" and "Total") and destination
    (plus "all"). ``planning_days``
    is the share of stays whose municipal decision took more than a day (complex planning)."""
    groups = tuple(s.community.groups)  # the municipalities with their own observed figures
    parts = []
    for r in range(reps):
        rec = Model(s, seed, r).run()
        st = rec.stays
        origin, start, end = period_bounds(s)
        lo, hi = (start - origin).days, (end - origin).days
        declared = st["t_declared"]
        out = st["t_discharged"]
        ok = ~np.isnan(declared) & (declared >= lo) & (declared < hi) & ~np.isnan(out)
        names = np.array(list(s.municipalities))[st["municipality"][ok]]
        frame = pd.DataFrame({
            "group": np.where(np.isin(names, groups), names, OTHERS),
            "destination": pd.Series(st["destination"][ok]).map(DESTINATIONS).to_numpy(),
            "days": np.floor(out[ok]) - np.floor(declared[ok]),
            "planning": (st["t_ready"][ok] - declared[ok]) > 1.0,
        })
        frame["replication"] = r
        parts.append(frame)
    data = pd.concat(parts, ignore_index=True)
    both = pd.concat([data, data.assign(destination="all")])
    both = pd.concat([both, both.assign(group="Total")])
    g = both.groupby(["group", "destination", "replication"])
    per_rep = pd.DataFrame({
        "stays": g.size(),
        "zero_day_share": g["days"].apply(lambda d: float((d == 0).mean())),
        "ukp_days": g["days"].sum(),
        "planning_share": g["planning"].mean(),
    })
    table = per_rep.groupby(["group", "destination"]).sum() / reps
    table["zero_day_share"] = per_rep.groupby(["group", "destination"])["zero_day_share"].mean()
    table["planning_share"] = per_rep.groupby(["group", "destination"])["planning_share"].mean()
    table["days_per_stay"] = table["ukp_days"] / table["stays"]
    order = {name: i for i, name in enumerate((*groups, OTHERS, "Total"))}
    dorder = {name: i for i, name in enumerate((*DESTINATIONS.values(), "all"))}
    table = table.reset_index()
    table = table.sort_values(["group", "destination"], key=lambda c: c.map(order if c.name == "group" else dorder))
    return table.reset_index(drop=True)
