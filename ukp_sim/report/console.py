"""The console KPI table: each KPI's mean and 95 % CI beside its target and status colour.

Reports are in Norwegian (bokmål) by default, English with ``lang="en"``.
"""
from __future__ import annotations

import math

import pandas as pd

from ukp_sim.kpi import TOTAL, WHOLE_YEAR, KpiDefinition
from ukp_sim.config.targets import load_targets

TABLE_KPIS = (
    "ukp_days", "zero_day_share", "mean_ukp_stay", "straight_home_share", "readmission_30d_share",
    "korttid_los", "mean_ukp_stay_all", "ukp_stays", "cost_nok", "beds_held_by_ukp_mean",
    "beds_held_by_ukp_p95", "hospital_occupancy",
)
STATUS_WORDS = {
    "nb": {"green": "grønn", "yellow": "gul", "red": "rød", "": ""},
    "en": {"green": "green", "yellow": "yellow", "red": "red", "": ""},
}
HEADERS = {
    "nb": ("KPI", "Snitt", "95 % KI", "Mål", "Status", "År", "replikasjoner"),
    "en": ("KPI", "Mean", "95 % CI", "Target", "Status", "Year", "replications"),
}
ANSI = {"green": "\033[32m", "yellow": "\033[33m", "red": "\033[31m"}
RESET = "\033[0m"


def fmt(value: float, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if unit == "share":
        return f"{100 * value:.1f} %"
    if unit == "NOK":
        return f"{value / 1e6:,.1f} mill.".replace(",", " ")
    if abs(value) >= 1000:
        return f"{value:,.0f}".replace(",", " ")
    return f"{value:.2f}"


def kpi_table(summary: pd.DataFrame, definitions: dict[str, KpiDefinition], lang: str = "nb",
              colour: bool = False) -> str:
    """A text table of the whole community's yearly KPIs (and KPI 6 for its unit)."""
    targets, _ = load_targets()
    h = HEADERS[lang]
    lines = []
    for year in sorted(summary["year"].unique()):
        ys = summary[(summary["year"] == year) & (summary["month"] == WHOLE_YEAR)]
        n = int(ys["n"].max()) if len(ys) else 0
        lines.append(f"{h[5]} {year} ({n} {h[6]})")
        rows = [(h[0], h[1], h[2], h[3], h[4])]
        for kpi in TABLE_KPIS:
            d = definitions[kpi]
            label = d.label_nb if lang == "nb" else d.label_en
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
                    name += " (alle)" if lang == "nb" else " (all)"
                ci = f"{fmt(r['ci_low'], d.unit)} – {fmt(r['ci_high'], d.unit)}"
                target = "" if math.isnan(r["target"]) else f"{t.direction} {fmt(r['target'], d.unit)}"
                word = STATUS_WORDS[lang][r["status"]]
                if colour and r["status"]:
                    word = ANSI[r["status"]] + word + RESET
                rows.append((name, fmt(r["mean"], d.unit), ci, target, word))
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
COMPARE_WORDS = {
    "nb": {
        "kpi": "KPI", "target": "Mål", "ci": "95 % KI", "diff": "Δ", "year": "År", "reps": "replikasjoner",
        "paired": "parvise differanser mot {base}, felles tilfeldige tall",
        "flag": "* 95 % KI for den parvise differansen utelukker 0",
        "pp": "%-p",
        "saves": "Hva {name} sparer mot {base}, {year} (hele helsefellesskapet, snitt og 95 % KI):",
        "ukp_days_saved": "UKP-døgn spart", "cost_saved_nok": "kostnad spart", "beds_freed": "senger frigjort",
        "all": "(alle)",
    },
    "en": {
        "kpi": "KPI", "target": "Target", "ci": "95 % CI", "diff": "Δ", "year": "Year", "reps": "replications",
        "paired": "paired differences against {base}, common random numbers",
        "flag": "* the 95 % CI of the paired difference excludes 0",
        "pp": "pp",
        "saves": "What {name} saves against {base}, {year} (whole community, mean and 95 % CI):",
        "ukp_days_saved": "UKP-days saved", "cost_saved_nok": "cost saved", "beds_freed": "beds freed",
        "all": "(all)",
    },
}
SAVING_UNITS = {"ukp_days_saved": "days", "cost_saved_nok": "NOK", "beds_freed": "beds"}


def fmt_diff(value: float, unit: str, lang: str = "nb") -> str:
    """A signed difference: shares in percentage points, NOK in millions."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    sign = "+" if value > 0 else ("-" if value < 0 else "±")
    a = abs(value)
    if unit == "share":
        return f"{sign}{100 * a:.1f} {COMPARE_WORDS[lang]['pp']}"
    if unit == "NOK":
        return f"{sign}{a / 1e6:,.2f} mill.".replace(",", " ")
    if a >= 1000:
        return f"{sign}{a:,.0f}".replace(",", " ")
    return f"{sign}{a:.2f}"


def _places(kpi: str, municipalities) -> list[str]:
    targets, _ = load_targets()
    t = targets.get(kpi)
    if t is not None and t.scope.startswith("unit:"):
        return [m for m in municipalities if t.applies_to(m)] + [TOTAL]
    return [TOTAL]


def compare_table(kpis: pd.DataFrame, differences: pd.DataFrame, definitions: dict[str, KpiDefinition],
                  names: list[str], lang: str = "nb") -> str:
    """Side by side, per year, for the whole community: each scenario's KPI means with their 95 % CI
    and, for each scenario after the first (the baseline), the paired difference against the
    baseline with its CI, flagged with * when the CI excludes 0.

    ``kpis``: yearly summaries (scenario, year, municipality, kpi, mean, ci_low, ci_high, n, target);
    ``differences``: yearly paired differences (scenario, year, municipality, kpi, mean_difference,
    ci_low, ci_high)."""
    from ukp_sim.analysis.compare import excludes_zero

    targets, _ = load_targets()
    w = COMPARE_WORDS[lang]
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
            label = d.label_nb if lang == "nb" else d.label_en
            t = targets.get(kpi)
            for place in _places(kpi, ky["municipality"].unique()):
                name = f"{t.number}. {label}" if t is not None else f"   {label}"
                if place != TOTAL:
                    name += f" ({place.split('/', 1)[1]})"
                elif t is not None and t.scope.startswith("unit:"):
                    name += " " + w["all"]
                cells = [name]
                target = ""
                if t is not None and t.applies_to(place):
                    target = f"{t.direction} {fmt(t.target, d.unit)}"
                cells.append(target)
                found = False
                for sc in names:
                    r = ky[(ky["scenario"] == sc) & (ky["kpi"] == kpi) & (ky["municipality"] == place)]
                    if r.empty:
                        cells += ["–", ""]
                        continue
                    found = True
                    r = r.iloc[0]
                    cells += [fmt(r["mean"], d.unit), f"{fmt(r['ci_low'], d.unit)} – {fmt(r['ci_high'], d.unit)}"]
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

    w = COMPARE_WORDS[lang]
    lines = []
    for name, sv in savings_by_scenario.items():
        for year in sorted(sv["year"].unique()):
            lines.append(w["saves"].format(name=name, base=base, year=year))
            rows = sv[sv["year"] == year]
            width = max(len(w[q]) for q in rows["quantity"])
            for r in rows.itertuples():
                unit = SAVING_UNITS[r.quantity]
                value = fmt(r.mean, unit) + (" NOK" if unit == "NOK" else "")
                ci = f"{fmt(r.ci_low, unit)} – {fmt(r.ci_high, unit)}"
                flag = " *" if excludes_zero(r.ci_low, r.ci_high) else ""
                lines.append(f"  {w[r.quantity].ljust(width)}  {value}  ({ci}){flag}")
        lines.append("")
    return "\n".join(lines)


PRECISION_WORDS = {
    "nb": {
        "head": "Presisjon: ønsket halv bredde av 95 % KI ≤ {p} av snittet for {kpis} (hele helsefellesskapet, "
                "hele år); {n} replikasjoner ({batches}): {verdict}.",
        "met": "nådd", "not_met": "ikke nådd", "max": "maksimum {m} replikasjoner nådd",
        "interrupted": "avbrutt", "kpi_not_met": "ikke nådd",
    },
    "en": {
        "head": "Precision: wanted a 95 % CI half-width ≤ {p} of the mean for {kpis} (whole community, whole "
                "years); {n} replications ({batches}): {verdict}.",
        "met": "met", "not_met": "not met", "max": "the maximum of {m} replications reached",
        "interrupted": "interrupted", "kpi_not_met": "not met",
    },
}


def precision_lines(precision, definitions: dict[str, KpiDefinition], lang: str = "nb") -> str:
    """What a run to a wanted precision achieved (a ``ukp_sim.experiment.PrecisionResult``)."""
    w = PRECISION_WORDS[lang]
    if precision.met:
        verdict = w["met"]
    elif precision.interrupted:
        verdict = f"{w['not_met']} ({w['interrupted']})"
    else:
        verdict = f"{w['not_met']} ({w['max'].format(m=precision.max_replications)})"
    kpis = ", ".join(definitions[k].label_nb if lang == "nb" else definitions[k].label_en for k in precision.kpis)
    lines = [w["head"].format(p=f"{100 * precision.precision:g} %", kpis=kpis, n=precision.replications,
                              batches=" → ".join(str(b) for b in precision.batches), verdict=verdict)]
    ach = precision.achieved
    for (sc, year), grp in ach.groupby(["scenario", "year"], sort=False):
        parts = []
        for r in grp.itertuples():
            d = definitions[r.kpi]
            label = d.label_nb if lang == "nb" else d.label_en
            rel = "–" if math.isnan(r.relative_half_width) else f"±{100 * r.relative_half_width:.1f} %"
            parts.append(f"{label} {rel}" + ("" if r.met else f" ({w['kpi_not_met']})"))
        lines.append(f"  {sc + ' ' if sc else ''}{year}: " + ", ".join(parts))
    return "\n".join(lines)
