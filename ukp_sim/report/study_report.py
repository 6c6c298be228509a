"""The standard study's report: Markdown and a self-contained HTML page, bokmål or English.

The report is meant to be attached to a funding application, so every number in it comes from
the study's tables with its 95 % confidence interval, and it ends with what reproduces it
(command, seed, version, date, scenario files with their SHA-256) and a STRESS-DES checklist
(Monks et al. 2019). Its text is in the catalogue (``report/locale``); the tables are built in
``study_sections``, the findings in ``study_findings`` and the HTML page in ``study_html``. The
health community's names and the years come from the baseline scenario and the study's period
(``report.context``), never from this code.
"""
from __future__ import annotations

from pathlib import PurePosixPath

from ukp_sim.kpi import TOTAL
from ukp_sim.report.context import StudyContext, study_context
from ukp_sim.report.locale import LANGS, evidence_text, fill, kpi_label, scenario_label, words
from ukp_sim.report.numbers import format_percent
from ukp_sim.report.study_costs import cost_section, dognpris_assumption
from ukp_sim.report.study_findings import findings
from ukp_sim.report.study_html import to_html  # noqa: F401  (part of this module's interface)
from ukp_sim.report.study_sections import (
    check_section,
    differences_section,
    kpi_section,
    municipal_effects_section,
    municipality_section,
    parameter_table,
    savings_section,
)
from ukp_sim.report.study_values import ci_text, find_row, md_table, num, value_text  # noqa: F401  (re-exported)

# The report's fixed words by language (the catalogue's [report] table), for callers that need the title.
T = {lang: words(lang, "report") for lang in LANGS}


def stress_rows(meta: dict, lang: str) -> list[tuple[str, str]]:
    """The STRESS-DES items (Monks et al. 2019) for this study, with its own settings filled in."""
    p = meta["period"]
    s = words(lang, "stress")
    filled = {
        "experiments": s["experiments"].format(n=len(meta["scenarios"]), first=meta["years"][0],
                                               last=meta["years"][-1]),
        "init": s["init"].format(warmup=p.get("warmup_days", 180), start=p["start"]),
        "length": s["length"].format(years=p["years"], start=p["start"], followup=p.get("followup_days", 30)),
        "estimation": s["estimation"].format(reps=meta["replications"], seed=meta["seed"]),
        "software": s["software"].format(python=meta["python"], version=meta["version"]),
        "execution": s["execution"].format(jobs=meta["jobs"], seconds=num(meta["wall_seconds"], 0, lang)),
        "system": meta.get("platform", ""),
    }
    keys = ("purpose", "outputs", "experiments", "logic", "data", "init", "length", "estimation", "software",
            "random", "execution", "system", "code")
    return [(s[f"{k}_h"], filled[k] if k in filled else s[k]) for k in keys]


def calibration_line(check: list[dict], defs: dict, lang: str) -> str | None:
    """The limitation the calibration check gives: the targets of the baseline year the simulated
    baseline misses (named, with both values), or that it meets them all."""
    if not check:
        return None
    w = words(lang, "report")
    missed = [c for c in check if not c["met"]]
    if not missed:
        return w["calib_all"].format(n=len(check), year=check[0]["year"])
    items = []
    for c in missed:
        unit = defs[c["kpi"]].unit if c["kpi"] in defs else ""
        place = w["community"] if c["municipality"] == "Total" else c["municipality"]
        items.append(w["calib_item"].format(kpi=kpi_label(c["kpi"], lang, defs), place=place,
                                            sim=value_text(c["simulated"], unit, lang),
                                            obs=value_text(c["observed"], unit, lang),
                                            tol=value_text(c["tolerance"], unit, lang)))
    return w["calib_miss"].format(year=check[0]["year"], items="; ".join(items), k=len(missed), n=len(check))


def _captions(figures: list[tuple[str, str]], lang: str, ctx: StudyContext) -> list[tuple[str, str]]:
    """Each figure's caption with the community's names and years filled in (a figure the
    catalogue does not know keeps the caption it came with)."""
    captions = words(lang, "caption")
    out = []
    for path, cap in figures:
        stem = PurePosixPath(path).name.split(".")[0]
        out.append((path, fill(captions[stem], **ctx.values(lang)) if stem in captions else cap))
    return out


def build_markdown(tables, meta: dict, defs: dict, scenarios_obj: dict, figures: list[tuple[str, str]],
                   lang: str, context: StudyContext | None = None) -> str:
    """The whole report as Markdown. ``figures``: (relative path, caption) in order; ``context``
    defaults to the one of the baseline scenario and the study's years."""
    w = words(lang, "report")
    ctx = context or study_context(scenarios_obj["baseline"], meta["years"])
    v = ctx.values(lang)
    kpis, savings, diffs = tables.kpis, tables.savings, tables.differences
    scenarios = meta["scenarios"]
    years = meta["years"]
    y_goal = ctx.goal_year
    out = [f"# {fill(w['title'], **v)}", "",
           w["generated"].format(date=meta["date"][:10], version=meta["version"], seed=meta["seed"],
                                 n=meta["replications"])]
    if meta.get("interrupted"):
        out += ["", w["interrupted"].format(n=meta["replications"])]
    out += ["", f"## {w['q_h']}", "", fill(w["q"], **v), "", f"## {w['find_h']}", ""]
    out += [f"- {line}" for line in findings(kpis, savings, defs, scenarios, years, lang, ctx, diffs,
                                              getattr(tables, "sensitivity", None))]
    out += ["", f"## {w['model_h']}", "", fill(w["model"], **v), "", f"## {w['scen_h']}", "", fill(w["scen"], **v), ""]
    for sid in scenarios:
        if sid in ("baseline", "combined"):
            continue
        out.append(f"### {scenario_label(sid, lang)} (`{sid}`)")
        out.append("")
        evidence = evidence_text(sid, lang)
        if evidence is not None:
            out += [fill(evidence, **v), ""]
            section = getattr(scenarios_obj[sid].interventions, sid)
            out += [parameter_table(section, lang), ""]
    out += [f"## {w['res_h']}", "", f"### {fill(w['kpi_h'], **v)}", "", fill(w["kpi_note"], **v), "",
            kpi_section(kpis, defs, scenarios, years, lang, ctx), "", f"### {w['fig_h']}", ""]
    for path, cap in _captions(figures, lang, ctx):
        out += [f"![{cap}]({path})", "", f"*{cap}*", ""]
    out += [f"### {w['sav_h']}", "", w["sav_note"], "", savings_section(savings, scenarios, lang), "",
            cost_section(savings, scenarios, lang, scenarios_obj), "",
            f"### {w['diff_h'].format(year=y_goal)}", "", w["diff_note"], "",
            differences_section(diffs, defs, scenarios, y_goal, lang, ctx), "",
            f"### {w['muni_effect_h'].format(year=y_goal)}", "",
            municipal_effects_section(diffs, scenarios, y_goal, lang), "",
            f"### {w['muni_h'].format(year=y_goal)}", "",
            municipality_section(kpis, meta["municipalities"], y_goal, lang), "",
            f"### {w['check_h'].format(year=years[0])}", "", check_section(kpis, defs, years[0], lang, ctx), "",
            f"## {w['ass_h']}", ""]
    out += [f"- {fill(a, **v)}" for a in w["assumptions"]]
    out.append(f"- {growth_assumption(scenarios_obj['baseline'], years, lang)}")
    out.append(f"- {dognpris_assumption(scenarios_obj['baseline'], years, lang)}")
    out += ["", f"## {w['lim_h']}", ""]
    out += [f"- {fill(a, **v)}" for a in w["limitations"]]
    fill_up = warmup_line(kpis, scenarios_obj["baseline"], years, lang)
    if fill_up:
        out.append(f"- {fill_up}")
    check = calibration_line(meta.get("calibration_check") or [], defs, lang)
    if check:
        out.append(f"- {check}")
    out += ["", f"## {w['stress_h']}", "",
            "Monks T, Currie CSM, Onggo BS, Robinson S, Kunc M, Taylor SJE (2019). Strengthening the reporting of "
            "empirical simulation studies: Introducing the STRESS guidelines. *Journal of Simulation* 13(1):55–67.",
            "", md_table(["STRESS-DES", ""], [[a, b] for a, b in stress_rows(meta, lang)], "ll"), "",
            f"## {w['repro_h']}", "", w["repro"], "", "```", meta["command"], "```", "", w["files"], ""]
    out += [f"- `{f['path']}` `{f['sha256'][:16]}…`" for f in meta["scenario_files"]]
    out += ["", f"ukp-sim {meta['version']}, Python {meta['python']}, {meta['date']}.", ""]
    return "\n".join(out)


def growth_assumption(scenario, years: list[int], lang: str) -> str:
    """How the baseline's admissions grow after its first year (``admission_growth`` per
    municipality, read from the scenario), or that they do not: the rate most municipalities share
    is given for 'the others', each other rate with its municipalities."""
    w = words(lang, "report")
    by_rate: dict[float, list[str]] = {}
    for name, m in scenario.municipalities.items():
        by_rate.setdefault(float(m.admission_growth), []).append(name)
    first, last = years[0], years[-1]
    if set(by_rate) == {0.0}:
        return w["growth_none"].format(first_year=first, last_year=last)
    common = max(by_rate, key=lambda r: len(by_rate[r]))
    pct = {r: format_percent(r, None, lang) for r in by_rate}
    parts = [f"{', '.join(names)} {pct[r]}" for r, names in sorted(by_rate.items(), key=lambda kv: -kv[0])
             if r != common]
    parts.append(w["growth_others"].format(n=len(by_rate[common]), rate=pct[common]) if parts
                 else w["growth_all"].format(rate=pct[common]))
    return w["growth"].format(rates="; ".join(parts), second_year=first + 1, first_year=first, last_year=last)


FILL_UP_MARGIN = 0.05  # a rise of the baseline's UKP-days this much above the admissions' growth is flagged


def warmup_line(kpis, scenario, years: list[int], lang: str) -> str | None:
    """The limitation that the baseline's first year may not be settled: its community UKP-days
    rise into the second year by more than the admissions grow (the largest ``admission_growth``,
    plus FILL_UP_MARGIN), with nothing else changed in the baseline; None if they do not, or with
    one year only. The runs start empty ``warmup_days`` before the first year (docs/model.md)."""
    if len(years) < 2:
        return None
    y0, y1 = years[0], years[1]
    r0, r1 = (find_row(kpis, "baseline", y, "ukp_days", TOTAL) for y in (y0, y1))
    if r0 is None or r1 is None or not r0["mean"] > 0:
        return None
    rise = r1["mean"] / r0["mean"] - 1.0
    growth = max((m.admission_growth for m in scenario.municipalities.values()), default=0.0)
    if rise <= growth + FILL_UP_MARGIN:
        return None
    w = words(lang, "report")
    return w["fill_up"].format(y0=y0, y1=y1, v0=num(r0["mean"], 0, lang), v1=num(r1["mean"], 0, lang),
                               rise=format_percent(rise, 0, lang), growth=format_percent(growth, None, lang),
                               warmup=scenario.period.warmup_days)

