"""The calibration fit report (Markdown with figures), Norwegian by default, English as an option.

Its text is the catalogue's [calibration] table (``report/locale``); the language is passed to
every figure, never guessed."""
from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ukp_sim.analysis.calibration import SOURCE_REPLICATIONS, CalibrationSpec, FitRow, YearResult  # noqa: E402
from ukp_sim.analysis.ensemble import community_split  # noqa: E402
from ukp_sim.report.ensemble_figure import ensemble_section, waves_section  # noqa: E402
from ukp_sim.report.locale import words  # noqa: E402
from ukp_sim.report.numbers import format_number, format_percent  # noqa: E402


def _year_note(spec, t: dict, lang: str) -> str:
    """The method's note on one year's variance, with the targets whose Var(year) is bounded by
    their observed series (``year_sd_max``), grouped by bound, as the targets file sets them."""
    by_bound: dict[float, list[str]] = {}
    for tg in spec.target:
        if tg.year_sd_max is not None:
            by_bound.setdefault(tg.year_sd_max, []).append(f"{tg.kpi} {tg.municipality} {tg.year}")
    note = t["method_year_note"]
    for bound, labels in sorted(by_bound.items()):
        note += t["method_year_bound"].format(targets=", ".join(labels),
                                              share=format_percent(bound, 0, lang))
    return note


def _fmt(v: float, lang: str) -> str:
    """Whole numbers from 100, three decimals below 1, else two."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    return format_number(v, 0 if abs(v) >= 100 else 3 if abs(v) < 1 else 2, lang)


def _sig(v: float, lang: str, digits: int = 3) -> str:
    """A parameter value to ``digits`` significant digits, in the reader's number style."""
    return format_number(float(f"{v:.{digits}g}"), None, lang)


def _fit_table(rows: list[FitRow], t: dict, lang: str, spread: np.ndarray | None = None,
               naive: list[float] | None = None, src: int | None = None) -> list[str]:
    head = [t["target"], t["observed"], t["tol"], t["weight"], t["sim"], t["error"]]
    if naive is not None:
        head.append(t["naive"].format(src=src))
    if spread is not None:
        head.append(t["spread"])
    head += [t["result"], t["source"]]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for k, r in enumerate(rows):
        cells = [f"{r.target.kpi} — {r.target.municipality}", _fmt(r.target.observed, lang),
                 f"± {_fmt(r.target.tolerance, lang)}", format_number(r.target.weight, None, lang),
                 f"{_fmt(r.mean, lang)} ({_fmt(r.ci_low, lang)}–{_fmt(r.ci_high, lang)})", _fmt(r.error, lang)]
        if naive is not None:
            v = naive[k]
            ok = not math.isnan(v) and abs(v - r.target.observed) <= r.target.tolerance
            cells.append("–" if math.isnan(v) else f"{_fmt(v, lang)} ({t['pass'] if ok else t['fail']})")
        if spread is not None:
            col = spread[:, k]
            cells.append(f"{_fmt(np.nanmin(col), lang)}–{_fmt(np.nanmax(col), lang)}")
        cells += [t["pass"] if r.passed else f"**{t['fail']}**", r.target.source]
        out.append("| " + " | ".join(cells) + " |")
    return out


def _sources_table(table, t: dict, lang: str) -> list[str]:
    cols = t["src_cols"]
    out = ["| " + " | ".join(cols) + " |", "|---|---|" + "---:|" * (len(cols) - 2)]
    for r in table.itertuples():
        group = t["groups"].get(r.group, r.group)
        dest = t["dests"].get(r.destination, r.destination)
        strong = (lambda x: f"**{x}**") if r.destination == "all" else (lambda x: x)
        out.append("| " + " | ".join([strong(group), strong(dest), format_number(r.stays, 0, lang),
                                      format_percent(r.zero_day_share, 1, lang),
                                      format_number(r.ukp_days, 0, lang), _fmt(r.days_per_stay, lang),
                                      format_percent(r.planning_share, 1, lang)]) + " |")
    return out


def _ticks(lang: str):
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _pos: format_number(round(v, 9), None, lang))


def _fit_figure(res: YearResult, rows: list[FitRow], path: Path, title: str, lang: str) -> None:
    labels = [f"{r.target.kpi}\n{r.target.municipality}" for r in rows]
    y = np.arange(len(rows))[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.55 * len(rows) + 1.2))
    for yi, r in zip(y, rows):
        obs = r.target.observed
        tol = r.target.tolerance / obs if obs else 0
        ax.barh(yi, 2 * tol, left=1 - tol, height=0.6, color="0.85")
        ax.errorbar(r.mean / obs, yi, xerr=[[(r.mean - r.ci_low) / obs], [(r.ci_high - r.mean) / obs]],
                    fmt="o", color="tab:blue" if r.passed else "tab:red", capsize=3)
    ax.axvline(1.0, color="k", lw=0.8)
    ax.set_yticks(y, labels, fontsize=7)
    ax.set_xlabel(words(lang, "calibration")["xlabel"])
    ax.xaxis.set_major_formatter(_ticks(lang))
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _param_figure(res: YearResult, path: Path, title: str, lang: str) -> None:
    hm = res.hm
    lo = np.array([p.low for p in hm.params])
    hi = np.array([p.high for p in hm.params])
    pts = (hm.points[hm.plausible] - lo) / (hi - lo)
    best = (hm.points[hm.best] - lo) / (hi - lo)
    y = np.arange(len(hm.params))[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(hm.params) + 1.2))
    for yi, j in zip(y, range(len(hm.params))):
        ax.barh(yi, 1, left=0, height=0.6, color="0.9")
        ax.plot(pts[:, j], np.full(len(pts), yi), "o", ms=3, alpha=0.5, color="tab:blue")
        ax.plot(best[j], yi, "D", color="tab:orange", ms=6)
    ax.set_yticks(y, [p.name for p in hm.params], fontsize=7)
    ax.set_xlim(-0.02, 1.02)
    ax.xaxis.set_major_formatter(_ticks(lang))
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(spec: CalibrationSpec, results: dict[int, YearResult], out_dir: Path, seed: int, jobs: int,
                 command: str, version: str, lang: str = "nb", conflicts: list[str] | None = None) -> dict[str, bytes]:
    """Render the report and its figures; returns {file name: content} for atomic writing."""
    import datetime as dt
    import io

    t = words(lang, "calibration")
    st = spec.settings
    files: dict[str, bytes] = {}
    sfx = "" if lang == "nb" else f".{lang}"  # each language gets its own figures
    years = sorted(results)
    cut = format_number(st.implausibility_cutoff, None, lang)
    first = results[next(iter(results))]
    lines = [f"# {t['title'].format(years=f'{years[0]}–{years[-1]}' if len(years) > 1 else years[0])}", "",
             t["made"].format(version=version, date=dt.date.today().isoformat(), seed=seed), "",
             f"## {t['method']}", "",
             t["method_body"].format(cut=cut, disc=format_number(st.model_discrepancy, None, lang),
                                     worlds=st.ensemble_size,
                                     year_term=t["method_year_term"] if st.one_year_variance else "",
                                     year_note=_year_note(spec, t, lang) if st.one_year_variance else ""), "",
             f"## {t['settings']}", "",
             "- " + t["settings_line"].format(
                 candidates=first.hm.points.shape[0] // max(1, int(first.hm.wave.max())),
                 waves=int(first.hm.wave.max()),
                 reps=first.hm.replications or first.hm.sims.shape[1], final=len(first.fit[0].values),
                 topup=first.hm.topup or "–"),
             "- " + t["cutoff_line"].format(cut=cut, file=Path(spec.file).name), ""]
    for year, res in results.items():
        hm = res.hm
        passed = sum(r.passed for r in res.fit)
        lines += [f"## {t['fit'].format(year=year)}", "",
                  f"Scenario: `{res.scenario_path.name}` → `{res.output.name}`. "
                  f"{t['summary'].format(passed=passed, n=len(res.fit))}.", ""]
        n_ok = int((hm.max_impl <= st.implausibility_cutoff).sum())
        if hm.any_plausible:
            lines.append(t["n_plausible"].format(n=n_ok, total=len(hm.points), cut=cut,
                                                 kept=len(hm.plausible)))
        else:
            lines.append(t["none_plausible"].format(kept=len(hm.plausible)))
        lines += ["", *_fit_table(res.fit, t, lang), ""]
        fig = f"fig_fit_{year}{sfx}.png"
        buf = io.BytesIO()
        _fit_figure(res, res.fit, buf, t["fig_fit"].format(year=year), lang)
        files[fig] = buf.getvalue()
        lines += [f"![{t['fig_fit'].format(year=year)}]({fig})", ""]
        lines += [f"### {t['params'].format(year=year)}", "",
                  f"| {t['param']} | {t['prior']} | {t['best']} | {t['plaus']} | {t['meaning']} |",
                  "|---|---|---|---|---|"]
        plaus = hm.points[hm.plausible]
        for j, p in enumerate(hm.params):
            x = "×" if p.mode == "scale" else ""
            lines.append(f"| `{p.name}` | {x}{_sig(p.low, lang, 6)}–{x}{_sig(p.high, lang, 6)} | "
                         f"{x}{_sig(hm.points[hm.best, j], lang)} | "
                         f"{x}{_sig(plaus[:, j].min(), lang)}–{x}{_sig(plaus[:, j].max(), lang)} | {p.doc} |")
        fig = f"fig_params_{year}{sfx}.png"
        buf = io.BytesIO()
        _param_figure(res, buf, t["fig_params"].format(year=year), lang)
        files[fig] = buf.getvalue()
        lines += ["", f"![{t['fig_params'].format(year=year)}]({fig})", ""]
        lines += [f"{t['runtime']}: {format_number(res.seconds / 60, 1, lang)} min ({jobs} jobs); {hm.cpu_note}.", ""]
        lines += waves_section(res, t, lang)
        if res.ensemble is not None:
            more, figs = ensemble_section(res, t, lang, sfx)
            lines += more
            files.update(figs)
        if res.sources is not None:
            lines += [f"### {t['sources'].format(year=year)}", "",
                      t["sources_body"].format(reps=SOURCE_REPLICATIONS), "",
                      *_sources_table(res.sources, t, lang), ""]
        if res.heldout is not None:
            lines += [f"## {t['heldout'].format(year=year, src=res.heldout_from)}", "",
                      t["heldout_body"].format(year=year, src=res.heldout_from, n=len(res.heldout_spread)), "",
                      *_fit_table(res.heldout, t, lang, res.heldout_spread,
                                  naive_forecast(spec, res.heldout, res.heldout_from), res.heldout_from), ""]
            fig = f"fig_heldout_{year}{sfx}.png"
            buf = io.BytesIO()
            _fit_figure(res, res.heldout, buf, t["heldout"].format(year=year, src=res.heldout_from), lang)
            files[fig] = buf.getvalue()
            lines += [f"![{t['heldout'].format(year=year, src=res.heldout_from)}]({fig})", ""]
    if conflicts:
        lines += [f"## {t['conflicts']}", "", *[f"- {c}" for c in conflicts], ""]
    lines += [f"## {t['reproduce']}", "", "```", command, "```", ""]
    files["report.md" if lang == "nb" else f"report.{lang}.md"] = "\n".join(lines).encode("utf-8")
    return files


def naive_forecast(spec: CalibrationSpec, rows: list[FitRow], src: int) -> list[float]:
    """The forecast «this year = the other year»: each target's observed value in year ``src``."""
    seen = {(t.kpi, t.municipality): t.observed for t in spec.target if t.year == src}
    return [seen.get((r.target.kpi, r.target.municipality), math.nan) for r in rows]


def target_conflicts(spec: CalibrationSpec, lang: str = "nb", results: dict[int, YearResult] | None = None
                     ) -> list[str]:
    """Where the observed figures disagree: the community total against the named municipalities,
    and, for each calibrated year, how the candidates that meet the community's total share it out."""
    out = []
    t = words(lang, "calibration")
    for year in sorted({x.year for x in spec.target}):
        days = {x.municipality: x.observed for x in spec.target if x.year == year and x.kpi == "ukp_days"}
        if "Total" not in days or len(days) < 2:
            continue
        named = {m: v for m, v in days.items() if m != "Total"}
        rest = days["Total"] - sum(named.values())
        names = ", ".join(named)
        line = t["conflict"].format(
            year=year, names=names, named=format_number(sum(named.values()), 0, lang),
            total=format_number(days["Total"], 0, lang), rest=format_number(rest, 0, lang))
        split = community_split(results[year].hm) if results and year in results else None
        if split and split["n"]:
            lo, mid, hi = (format_number(v, 0, lang) for v in split["others"])
            line += " " + t["conflict_split"].format(n=split["n"], lo=lo, mid=mid, hi=hi, named="; ".join(
                t["conflict_named"].format(m=m, most=format_number(v["max"], 0, lang),
                                           observed=format_number(v["target"].observed, 0, lang),
                                           tol=format_number(v["target"].tolerance, 0, lang), both=v["both"])
                for m, v in split["named"].items()))
        elif split is not None:
            line += " " + t["conflict_none"]
        out.append(line)
    return out
