"""The console KPI table: each KPI's mean and 95 % CI beside its target and status colour.

Reports are in Norwegian (bokmål) by default, English with ``lang="en"``.
"""
from __future__ import annotations

import math

import pandas as pd

from ukp_sim.config.targets import load_targets
from ukp_sim.kpi import TOTAL, WHOLE_YEAR, KpiDefinition
from ukp_sim.report.locale import kpi_label, status_label, words
from ukp_sim.report.numbers import format_number, format_percent, format_signed

TABLE_KPIS = (
    "ukp_days", "zero_day_share", "mean_ukp_stay", "straight_home_share", "readmission_30d_share",
    "korttid_los", "mean_ukp_stay_all", "ukp_stays", "cost_nok", "beds_held_by_ukp_mean",
    "beds_held_by_ukp_p95", "hospital_occupancy",
)
ANSI = {"green": "\033[32m", "yellow": "\033[33m", "red": "\033[31m"}
RESET = "\033[0m"


def fmt(value: float, unit: str, lang: str = "nb") -> str:
    """A KPI value for a console table: shares in percent with one decimal, NOK in millions,
    whole numbers from 1000, else two decimals; decimal comma in bokmål."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if unit == "share":
        return format_percent(value, 1, lang)
    if unit == "NOK":
        return f"{format_number(value / 1e6, 1, lang)} {words(lang, 'console')['mill']}"
    return format_number(value, 0 if abs(value) >= 1000 else 2, lang)


def kpi_table(summary: pd.DataFrame, definitions: dict[str, KpiDefinition], lang: str = "nb",
              colour: bool = False) -> str:
    """A text table of the whole community's yearly KPIs (and KPI 6 for its unit)."""
    targets, _ = load_targets()
    c = words(lang, "console")
    h = (c["kpi"], c["mean"], c["ci"], c["target"], c["status"], c["year"], c["replications"])
    lines = []
    for year in sorted(summary["year"].unique()):
        ys = summary[(summary["year"] == year) & (summary["month"] == WHOLE_YEAR)]
        n = int(ys["n"].max()) if len(ys) else 0
        lines.append(f"{h[5]} {year} ({n} {h[6]})")
        rows = [(h[0], h[1], h[2], h[3], h[4])]
        for kpi in TABLE_KPIS:
            d = definitions[kpi]
            label = kpi_label(kpi, lang, definitions)
            t = targets.get(kpi)
            places = [TOTAL]
            if t is not None and t.scope.startswith("unit:"):
                places = [m for m in ys["municipality"].unique() if t.applies_to(m)] + [TOTAL]
            for place in places:
                r = ys[(ys["kpi"] == kpi) & (ys["municipality"] == place)]
                if r.empty:
                    continue
                r = r.iloc[0]
                name = f"{t.number}. {label}" if t is not None else f"   {label}"
                if place != TOTAL:
                    name += f" ({place.split('/', 1)[1]})"
                elif t is not None and t.scope.startswith("unit:"):
                    name += " " + c["all"]
                ci = f"{fmt(r['ci_low'], d.unit, lang)} – {fmt(r['ci_high'], d.unit, lang)}"
                target = "" if math.isnan(r["target"]) else f"{t.direction} {fmt(r['target'], d.unit, lang)}"
                word = status_label(r["status"], lang) if r["status"] else ""
                if colour and r["status"]:
                    word = ANSI[r["status"]] + word + RESET
                rows.append((name, fmt(r["mean"], d.unit, lang), ci, target, word))
        widths = [max(len(_plain(row[i])) for row in rows) for i in range(5)]
        for i, row in enumerate(rows):
            cells = [row[0].ljust(widths[0])] + [row[j].rjust(widths[j]) for j in (1, 2, 3)] + [row[4]]
            lines.append("  ".join(cells).rstrip())
            if i == 0:
                lines.append("-" * (sum(widths) + 8))
        lines.append("")
    return "\n".join(lines)


def _plain(text: str) -> str:
    for code in (*ANSI.values(), RESET):
        text = text.replace(code, "")
    return text


# --------------------------------------------------------------------------------------------
# Comparisons (ukp-sim compare) and the precision of a run
# --------------------------------------------------------------------------------------------
SAVING_UNITS = {"ukp_days_saved": "days", "cost_saved_nok": "NOK", "beds_freed": "beds"}


def fmt_diff(value: float, unit: str, lang: str = "nb") -> str:
    """A signed difference: shares in percentage points, NOK in millions."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if unit == "share":
        return f"{format_signed(100 * value, 1, lang)} {words(lang, 'compare')['pp']}"
    if unit == "NOK":
        return f"{format_signed(value / 1e6, 2, lang)} {words(lang, 'console')['mill']}"
    return format_signed(value, 0 if abs(value) >= 1000 else 2, lang)


def _places(kpi: str, municipalities) -> list[str]:
    targets, _ = load_targets()
    t = targets.get(kpi)
    if t is not None and t.scope.startswith("unit:"):
        return [m for m in municipalities if t.applies_to(m)] + [TOTAL]
    return [TOTAL]


# The KPI whose rows the compare table also gives per municipality, below the community's: a
# measure can help the community and still raise one municipality's UKP-days.
PER_MUNICIPALITY_KPI = "ukp_days"


def _municipalities_by_size(ky: pd.DataFrame, base: str) -> list[str]:
    """The municipalities (no korttid units), most UKP-days in the baseline first."""
    r = ky[(ky["kpi"] == PER_MUNICIPALITY_KPI) & (ky["scenario"] == base) & (ky["municipality"] != TOTAL)
           & ~ky["municipality"].str.contains("/", regex=False)]
    return r.sort_values(["mean", "municipality"], ascending=[False, True])["municipality"].tolist()


def compare_table(kpis: pd.DataFrame, differences: pd.DataFrame, definitions: dict[str, KpiDefinition],
                  names: list[str], lang: str = "nb") -> str:
    """Side by side, per year, for the whole community (UKP-days also per municipality, largest
    first): each scenario's KPI means with their 95 % CI and, for each scenario after the first
    (the baseline), the paired difference against the baseline with its CI, flagged with * when
    the CI excludes 0.

    ``kpis``: yearly summaries (scenario, year, municipality, kpi, mean, ci_low, ci_high, n, target);
    ``differences``: yearly paired differences (scenario, year, municipality, kpi, mean_difference,
    ci_low, ci_high)."""
    from ukp_sim.analysis.compare import excludes_zero

    targets, _ = load_targets()
    w = words(lang, "compare")
    base = names[0]
    lines = []
    for year in sorted(kpis["year"].unique()):
        ky = kpis[kpis["year"] == year]
        dy = differences[differences["year"] == year] if len(differences) else differences
        n = int(ky["n"].max()) if len(ky) else 0
        lines.append(f"{w['year']} {year} ({n} {w['reps']}; {w['paired'].format(base=base)})")
        header = [w["kpi"], w["target"]]
        for name in names:
            header += [name, w["ci"]]
        for name in names[1:]:
            header += [f"{w['diff']} {name}", w["ci"]]
        rows = [header]
        for kpi in TABLE_KPIS:
            d = definitions[kpi]
            label = kpi_label(kpi, lang, definitions)
            t = targets.get(kpi)
            places = _places(kpi, ky["municipality"].unique())
            if kpi == PER_MUNICIPALITY_KPI:
                places = [TOTAL, *_municipalities_by_size(ky, base)]
            for place in places:
                name = f"{t.number}. {label}" if t is not None else f"   {label}"
                if "/" in place:
                    name += f" ({place.split('/', 1)[1]})"
                elif place != TOTAL:
                    name = f"     {place}"
                elif t is not None and t.scope.startswith("unit:"):
                    name += " " + w["all"]
                cells = [name]
                target = ""
                if t is not None and t.applies_to(place):
                    target = f"{t.direction} {fmt(t.target, d.unit, lang)}"
                cells.append(target)
                found = False
                for sc in names:
                    r = ky[(ky["scenario"] == sc) & (ky["kpi"] == kpi) & (ky["municipality"] == place)]
                    if r.empty:
                        cells += ["–", ""]
                        continue
                    found = True
                    r = r.iloc[0]
                    cells += [fmt(r["mean"], d.unit, lang),
                              f"{fmt(r['ci_low'], d.unit, lang)} – {fmt(r['ci_high'], d.unit, lang)}"]
                for sc in names[1:]:
                    r = dy[(dy["scenario"] == sc) & (dy["kpi"] == kpi) & (dy["municipality"] == place)] \
                        if len(dy) else dy
                    if r.empty:
                        cells += ["–", ""]
                        continue
                    r = r.iloc[0]
                    flag = " *" if excludes_zero(r["ci_low"], r["ci_high"]) else "  "
                    cells += [fmt_diff(r["mean_difference"], d.unit, lang),
                              f"{fmt_diff(r['ci_low'], d.unit, lang)} – {fmt_diff(r['ci_high'], d.unit, lang)}{flag}"]
                if found:
                    rows.append(cells)
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        for i, row in enumerate(rows):
            out = [row[0].ljust(widths[0])] + [row[j].rjust(widths[j]) for j in range(1, len(row))]
            lines.append("  ".join(out).rstrip())
            if i == 0:
                lines.append("-" * (sum(widths) + 2 * (len(widths) - 1)))
        lines.append(w["flag"])
        lines.append("")
    return "\n".join(lines)


def savings_lines(savings_by_scenario: dict[str, pd.DataFrame], base: str, lang: str = "nb") -> str:
    """The headline of a comparison: UKP-days saved, cost saved and beds freed, with 95 % CIs."""
    from ukp_sim.analysis.compare import excludes_zero

    w = words(lang, "compare")
    lines = []
    for name, sv in savings_by_scenario.items():
        for year in sorted(sv["year"].unique()):
            lines.append(w["saves"].format(name=name, base=base, year=year))
            rows = sv[sv["year"] == year]
            width = max(len(w[q]) for q in rows["quantity"])
            for r in rows.itertuples():
                unit = SAVING_UNITS[r.quantity]
                value = fmt(r.mean, unit, lang) + (" NOK" if unit == "NOK" else "")
                ci = f"{fmt(r.ci_low, unit, lang)} – {fmt(r.ci_high, unit, lang)}"
                flag = " *" if excludes_zero(r.ci_low, r.ci_high) else ""
                lines.append(f"  {w[r.quantity].ljust(width)}  {value}  ({ci}){flag}")
        lines.append("")
    return "\n".join(lines)


def precision_lines(precision, definitions: dict[str, KpiDefinition], lang: str = "nb") -> str:
    """What a run to a wanted precision achieved (a ``ukp_sim.analysis.precision.PrecisionResult``):
    of the means (--precision) or of the paired differences (--precision-diff)."""
    w = words(lang, "precision")
    if precision.met:
        verdict = w["met"]
    elif precision.interrupted:
        verdict = f"{w['not_met']} ({w['interrupted']})"
    else:
        verdict = f"{w['not_met']} ({w['max'].format(m=precision.max_replications)})"
    kpis = ", ".join(kpi_label(k, lang, definitions) for k in precision.kpis)
    batches = " → ".join(str(b) for b in precision.batches)
    if precision.difference is None:
        head = w["head"].format(p=format_percent(precision.precision, None, lang), kpis=kpis, n=precision.replications,
                                batches=batches, verdict=verdict)
    else:
        d = fmt(precision.difference, definitions[precision.kpis[0]].unit, lang) if len(precision.kpis) == 1 \
            else f"{precision.difference:g}"
        head = w["head_diff"].format(d=d, kpis=kpis, base=precision.reference, n=precision.replications,
                                     batches=batches, verdict=verdict)
    lines = [head]
    ach = precision.achieved
    for (sc, year), grp in ach.groupby(["scenario", "year"], sort=False):
        parts = []
        for r in grp.itertuples():
            label = kpi_label(r.kpi, lang, definitions)
            if precision.difference is None:
                rel = "–" if math.isnan(r.relative_half_width) else "±" + format_percent(r.relative_half_width, 1, lang)
            else:
                unit = definitions[r.kpi].unit
                rel = ("–" if math.isnan(r.half_width)
                       else f"{fmt_diff(r.mean, unit, lang)} ±{fmt(r.half_width, unit, lang)}")
            parts.append(f"{label} {rel}" + ("" if r.met else f" ({w['kpi_not_met']})"))
        lines.append(f"  {sc + ' ' if sc else ''}{year}: " + ", ".join(parts))
    return "\n".join(lines)


def wait_lines(summary: pd.DataFrame, lang: str = "nb") -> str:
    """One line a year: what the whole community's UKP-days waited for (the wait-share KPIs)."""
    from ukp_sim.kpi.compute import WAIT_KPIS

    w = words(lang, "waits")
    ys = summary[(summary["municipality"] == TOTAL) & (summary["month"] == WHOLE_YEAR)]
    lines = []
    for year in sorted(ys["year"].unique()):
        means = ys[ys["year"] == year].set_index("kpi")["mean"]
        if not all(k in means for k in WAIT_KPIS) or means[list(WAIT_KPIS)].isna().any():
            continue
        parts = ", ".join(f"{w[k]} {format_percent(means[k], 0, lang)}" for k in WAIT_KPIS)
        lines.append(w["line"].format(year=year, parts=parts))
    return "\n".join(lines)
