"""Findings that weigh the plausible worlds (``study --worlds``) and each municipality: when an
effect is robust, when it depends on what the data cannot settle (and on which parameter), and
which measure makes some municipality worse. Written from the tables, like every finding."""
from __future__ import annotations

import math

import pandas as pd

from ukp_sim.kpi import TOTAL
from ukp_sim.report.locale import scenario_label, words
from ukp_sim.report.numbers import format_percent
from ukp_sim.report.study_values import ci_text

ROBUST_SHARE = 0.9  # a finding holds in at least this share of the worlds to be called robust
HARM_BETTER_BELOW = 0.1  # a measure is named as worsening a municipality when it is better in fewer
HARM_WORSE_ABOVE = 0.5  # than this share of worlds and worse in more than this share
HARM_MIN_RELATIVE = 0.05  # in one world: a rise of at least 5 % of the municipality's UKP-days (about 20
# municipalities x 6 measures are tested; a minimum effect keeps chance CIs above 0 out of the findings)
DECIDES_FLOOR = 0.1  # a parameter is named as deciding only if its total index's interval stays above this


def deciding_parameter(sensitivity: pd.DataFrame | None, sid: str, year: int) -> tuple[str, float] | None:
    """The parameter with the largest total-order index for ``sid``'s saving in ``year``, if its
    bootstrap interval over the worlds stays above DECIDES_FLOOR (else the worlds cannot say)."""
    if sensitivity is None:
        return None
    rows = sensitivity[sensitivity["output"] == f"{sid}_ukp_days_saved_{year}"]
    if rows.empty:
        return None
    top = rows.sort_values("total_order", ascending=False).iloc[0]
    if not top["ci_low"] > DECIDES_FLOOR:
        return None
    return str(top["parameter"]), float(top["total_order"])


def robustness(diffs: pd.DataFrame, sensitivity: pd.DataFrame | None, scenarios: list[str], year: int,
               lang: str) -> list[str]:
    """Per measure, its community effect on UKP-days in ``year`` over the worlds: robust when at
    least ROBUST_SHARE of the worlds agree on its side of 0, otherwise what it depends on."""
    if "share_worlds_better" not in diffs.columns:
        return []
    f = words(lang, "world_findings")
    out = []
    for sid in scenarios:
        if sid == "baseline":
            continue
        r = diffs[(diffs["scenario"] == sid) & (diffs["year"] == year) & (diffs["municipality"] == TOTAL)
                  & (diffs["kpi"] == "ukp_days")]
        if r.empty or int(r.iloc[0]["worlds"]) < 2:
            continue
        r = r.iloc[0]
        # a saving is minus the difference: the prediction interval of the saving is flipped
        pi = ci_text(-r["mean_difference"], -r["pi_high"], -r["pi_low"], "days", lang)
        name = scenario_label(sid, lang)
        better, worse = float(r["share_worlds_better"]), float(r["share_worlds_worse"])
        common = {"name": name, "year": year, "pi": pi, "worlds": int(r["worlds"]),
                  "better": format_percent(better, 0, lang), "worse": format_percent(worse, 0, lang)}
        reps = int(r["n"]) // int(r["worlds"]) if "n" in r.index else 0
        if better >= ROBUST_SHARE:
            out.append(f["robust_better"].format(**common))
        elif worse >= ROBUST_SHARE:
            out.append(f["robust_worse"].format(**common))
        else:
            top = deciding_parameter(sensitivity, sid, year)
            decides = (f["decided_by"].format(parameter=top[0], share=format_percent(top[1], 0, lang))
                       if top is not None else f["decided_unknown"])
            if r["pi_high"] < 0 or r["pi_low"] > 0:
                # 95 % of the runs over the worlds fall on one side of 0, yet few worlds' own CIs
                # exclude it: too few replications per world to tell, not worlds that disagree
                key = "one_side_better" if r["pi_high"] < 0 else "one_side_worse"
                out.append(f[key].format(**common, reps=reps, decides=decides))
            else:
                out.append(f["depends"].format(**common, decides=decides))
    return out


def municipal_harms(diffs: pd.DataFrame, scenarios: list[str], year: int, lang: str) -> list[str]:
    """Measures that raise some municipality's UKP-days in ``year``: over worlds, better in fewer
    than HARM_BETTER_BELOW and worse in more than HARM_WORSE_ABOVE of them; in one world, a 95 %
    CI of the paired difference above 0 and a rise of at least HARM_MIN_RELATIVE."""
    f = words(lang, "world_findings")
    sel = diffs[(diffs["year"] == year) & (diffs["kpi"] == "ukp_days") & (diffs["municipality"] != TOTAL)
                & ~diffs["municipality"].str.contains("/", regex=False)]
    out = []
    for sid in scenarios:
        if sid == "baseline":
            continue
        rows = sel[sel["scenario"] == sid]
        if "share_worlds_worse" in rows.columns and (rows["worlds"] > 1).any():
            harmed = rows[(rows["share_worlds_better"] < HARM_BETTER_BELOW)
                          & (rows["share_worlds_worse"] > HARM_WORSE_ABOVE)]
        else:
            harmed = rows[(rows["ci_low"] > 0) & (rows["mean_difference"] >= HARM_MIN_RELATIVE * rows["base_mean"])]
        items = [f["harm_item"].format(municipality=r["municipality"],
                                       ci=ci_text(r["mean_difference"], r["ci_low"], r["ci_high"], "days", lang))
                 for _, r in harmed.sort_values("mean_difference", ascending=False).iterrows()
                 if not math.isnan(r["mean_difference"])]
        if items:
            out.append(f["harm"].format(name=scenario_label(sid, lang), year=year, items="; ".join(items)))
    return out
