"""The calibration fit report (Markdown with figures), Norwegian by default, English as an option."""
from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ukp_sim.analysis.calibration import SOURCE_REPLICATIONS, CalibrationSpec, FitRow, YearResult  # noqa: E402

TEXT = {
    "nb": {
        "title": "Kalibrering av ukp-sim mot tallene for 2022–2023",
        "method": "Metode",
        "method_body": (
            "History matching (Craig mfl. 1997; Andrianakis mfl. 2015). Hver kandidat (et sett av de usikre "
            "parameterne) simuleres med de samme tilfeldige tallene (felles tilfeldige tall), og forkastes som "
            "usannsynlig hvis ett mål har |simulert snitt − observert| / √((toleranse/2)² + Var(snitt)) > {cut}. "
            "Bølge 1 er et latinsk hyperkubeutvalg i prior-boksen, med startsettet fra `targets.toml` (en utforskende "
            "tilpasning for hånd) og, for 2023, de sannsynlige settene for 2022 som de første kandidatene; senere "
            "bølger trekker rundt settene som fortsatt er sannsynlige. Lederne simuleres på nytt med flere "
            "replikasjoner, og et kompass-søk (Kolda, Lewis og Torczon 2003) pusser det beste settet. Det beste settet (minste vektede forventede kvadratavvik mellom ett simulert år og det "
            "observerte året, altså skjevhet² + varians) blir den kalibrerte baselinen; inntil {keep} sannsynlige sett lagres i `plausible_<år>.csv`."),
        "settings": "Innstillinger",
        "fit": "Tilpasning {year}",
        "target": "Mål", "observed": "Observert", "tol": "Toleranse", "weight": "Vekt", "sim": "Simulert (95 % KI)",
        "error": "Avvik", "result": "Resultat", "pass": "innenfor", "fail": "utenfor", "source": "Kilde",
        "params": "Parametere {year}", "param": "Parameter", "prior": "Prior", "best": "Beste",
        "plaus": "Sannsynlige sett", "meaning": "Betydning",
        "n_plausible": "{n} av {total} kandidater er ikke usannsynlige (maks. implausibilitet ≤ {cut}); {kept} er lagret.",
        "none_plausible": ("Ingen kandidat klarte alle mål innenfor avskjæringen; de {kept} beste etter avstand er "
                           "lagret, og tabellen under viser hvilke mål som ikke kan nås samtidig."),
        "heldout": "Test på holdt-ut år: {year} forutsagt fra tilpasningen for {src}",
        "heldout_body": (
            "Parameterne fra {src} er brukt uendret på {year}-scenarioet, som bare har de dokumenterte endringene "
            "for {year}. Kolonnen «Spredning» er min–maks av snittet over de {n} beste sannsynlige settene for {src} "
            "(2 replikasjoner hver), altså usikkerheten fra parameterne."),
        "spread": "Spredning (sett)",
        "conflicts": "Mål som ikke stemmer med hverandre",
        "runtime": "Kjøretid", "figures": "Figurer",
        "fig_fit": "Simulert mot observert {year} (forhold til observert verdi; stolpe = 95 % KI, grått = toleranse)",
        "fig_params": "Prior-område (grått) og sannsynlige sett (punkter), skalert til 0–1, {year}",
        "reproduce": "Reproduser",
        "summary": "{passed} av {n} mål innenfor toleranse",
        "sources": "Hvor UKP-døgnene kommer fra ({year}, beste sett)",
        "sources_body": (
            "Snitt over {reps} replikasjoner. Et opphold telles i året det ble meldt utskrivningsklart, med "
            "utskrivningsdato minus meldedato som UKP-døgn; «planlegging > 1 døgn» er andelen der kommunens "
            "vedtak og plan tok mer enn et døgn (kompleks planlegging)."),
        "src_cols": ["Kommune", "Utskrevet til", "UKP-opphold", "Andel 0 døgn", "UKP-døgn", "Døgn per opphold",
                     "Planlegging > 1 døgn"],
        "groups": {"others": "øvrige", "Total": "Totalt"},
        "dests": {"korttid": "korttidsplass", "home_new_services": "hjem, nye tjenester",
                  "home_no_new_services": "hjem, ingen nye", "all": "alle"},
    },
    "en": {
        "title": "Calibration of ukp-sim to the 2022–2023 figures",
        "method": "Method",
        "method_body": (
            "History matching (Craig et al. 1997; Andrianakis et al. 2015). Each candidate (a set of the uncertain "
            "parameters) is simulated with the same random numbers (common random numbers) and ruled out as "
            "implausible if for some target |simulated mean − observed| / √((tolerance/2)² + Var(mean)) > {cut}. "
            "Wave 1 is a Latin hypercube over the prior box whose first candidates are the start set in `targets.toml` "
            "(an exploratory fit by hand) and, for 2023, the plausible sets of 2022; later waves sample around the "
            "sets still plausible. The leaders are re-simulated with more replications, and a compass search "
            "(Kolda, Lewis and Torczon 2003) polishes the best set. "
            "The best set (smallest weighted expected squared error of one simulated year against the observed year, "
            "i.e. bias² + variance) becomes the calibrated baseline; up "
            "to {keep} plausible sets are kept in `plausible_<year>.csv`."),
        "settings": "Settings",
        "fit": "Fit {year}",
        "target": "Target", "observed": "Observed", "tol": "Tolerance", "weight": "Weight", "sim": "Simulated (95 % CI)",
        "error": "Error", "result": "Result", "pass": "pass", "fail": "fail", "source": "Source",
        "params": "Parameters {year}", "param": "Parameter", "prior": "Prior", "best": "Best",
        "plaus": "Plausible sets", "meaning": "Meaning",
        "n_plausible": "{n} of {total} candidates are not implausible (max. implausibility ≤ {cut}); {kept} are kept.",
        "none_plausible": ("No candidate met every target within the cut-off; the {kept} best by distance are kept, "
                           "and the table below shows which targets cannot be met together."),
        "heldout": "Held-out check: {year} predicted from the {src} fit",
        "heldout_body": (
            "The {src} parameters are applied unchanged to the {year} scenario, which carries only the documented "
            "changes of {year}. «Spread» is the min–max of the mean over the {n} best plausible sets of {src} "
            "(2 replications each): the uncertainty that comes from the parameters."),
        "spread": "Spread (sets)",
        "conflicts": "Targets that disagree with each other",
        "runtime": "Running time", "figures": "Figures",
        "fig_fit": "Simulated against observed {year} (ratio to the observed value; bar = 95 % CI, grey = tolerance)",
        "fig_params": "Prior range (grey) and plausible sets (dots), scaled to 0–1, {year}",
        "reproduce": "Reproduce",
        "summary": "{passed} of {n} targets within tolerance",
        "sources": "Where the UKP-days come from ({year}, best set)",
        "sources_body": (
            "Means over {reps} replications. A stay counts in the year it was declared ready, with discharge date "
            "minus declaration date as its UKP-days; «planning > 1 day» is the share whose municipal decision and "
            "plan took more than a day (complex planning)."),
        "src_cols": ["Municipality", "Discharged to", "UKP stays", "0-day share", "UKP-days", "Days per stay",
                     "Planning > 1 day"],
        "groups": {"others": "others", "Total": "Total"},
        "dests": {"korttid": "korttidsplass", "home_new_services": "home, new services",
                  "home_no_new_services": "home, no new services", "all": "all"},
    },
}


def _fmt(v: float) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if abs(v) >= 100:
        return f"{v:,.0f}".replace(",", " ")
    if abs(v) < 1:
        return f"{v:.3f}"
    return f"{v:.2f}"


def _fit_table(rows: list[FitRow], t: dict, spread: np.ndarray | None = None) -> list[str]:
    head = [t["target"], t["observed"], t["tol"], t["weight"], t["sim"], t["error"]]
    if spread is not None:
        head.append(t["spread"])
    head += [t["result"], t["source"]]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for k, r in enumerate(rows):
        cells = [f"{r.target.kpi} — {r.target.municipality}", _fmt(r.target.observed), f"± {_fmt(r.target.tolerance)}",
                 f"{r.target.weight:g}", f"{_fmt(r.mean)} ({_fmt(r.ci_low)}–{_fmt(r.ci_high)})", _fmt(r.error)]
        if spread is not None:
            col = spread[:, k]
            cells.append(f"{_fmt(np.nanmin(col))}–{_fmt(np.nanmax(col))}")
        cells += [t["pass"] if r.passed else f"**{t['fail']}**", r.target.source]
        out.append("| " + " | ".join(cells) + " |")
    return out


def _sources_table(table, t: dict) -> list[str]:
    cols = t["src_cols"]
    out = ["| " + " | ".join(cols) + " |", "|---|---|" + "---:|" * (len(cols) - 2)]
    for r in table.itertuples():
        group = t["groups"].get(r.group, r.group)
        dest = t["dests"].get(r.destination, r.destination)
        strong = (lambda x: f"**{x}**") if r.destination == "all" else (lambda x: x)
        out.append("| " + " | ".join([strong(group), strong(dest), f"{r.stays:,.0f}".replace(",", " "),
                                      f"{100 * r.zero_day_share:.1f} %",
                                      f"{r.ukp_days:,.0f}".replace(",", " "), _fmt(r.days_per_stay),
                                      f"{100 * r.planning_share:.1f} %"]) + " |")
    return out


def _fit_figure(res: YearResult, rows: list[FitRow], path: Path, title: str) -> None:
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
    ax.set_xlabel("simulert / observert" if title.startswith(("Simulert", "Test")) else "simulated / observed")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _param_figure(res: YearResult, path: Path, title: str) -> None:
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
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(spec: CalibrationSpec, results: dict[int, YearResult], out_dir: Path, seed: int, jobs: int,
                 command: str, version: str, lang: str = "nb", conflicts: list[str] | None = None) -> dict[str, bytes]:
    """Render the report and its figures; returns {file name: content} for atomic writing."""
    import datetime as dt
    import io

    t = TEXT[lang]
    st = spec.settings
    files: dict[str, bytes] = {}
    sfx = "" if lang == "nb" else f".{lang}"  # each language gets its own figures
    lines = [f"# {t['title']}", "",
             f"ukp-sim {version}, {dt.date.today().isoformat()}, seed {seed}.", "",
             f"## {t['method']}", "", t["method_body"].format(cut=st.implausibility_cutoff, keep=st.max_plausible_sets), "",
             f"## {t['settings']}", "",
             f"- candidates per wave: {results[next(iter(results))].hm.points.shape[0] // max(1, int(results[next(iter(results))].hm.wave.max()))}, "
             f"waves: {int(results[next(iter(results))].hm.wave.max())}, replications per candidate: "
             f"{results[next(iter(results))].hm.sims.shape[1]}, final replications: {len(results[next(iter(results))].fit[0].values)}",
             f"- implausibility cut-off {st.implausibility_cutoff}; targets and parameters: `{Path(spec.file).name}`", ""]
    for year, res in results.items():
        hm = res.hm
        passed = sum(r.passed for r in res.fit)
        lines += [f"## {t['fit'].format(year=year)}", "",
                  f"Scenario: `{res.scenario_path.name}` → `{res.output.name}`. "
                  f"{t['summary'].format(passed=passed, n=len(res.fit))}.", ""]
        n_ok = int((hm.max_impl <= st.implausibility_cutoff).sum())
        if hm.any_plausible:
            lines.append(t["n_plausible"].format(n=n_ok, total=len(hm.points), cut=st.implausibility_cutoff,
                                                 kept=len(hm.plausible)))
        else:
            lines.append(t["none_plausible"].format(kept=len(hm.plausible)))
        lines += ["", *_fit_table(res.fit, t), ""]
        fig = f"fig_fit_{year}{sfx}.png"
        buf = io.BytesIO()
        _fit_figure(res, res.fit, buf, t["fig_fit"].format(year=year))
        files[fig] = buf.getvalue()
        lines += [f"![{t['fig_fit'].format(year=year)}]({fig})", ""]
        lines += [f"### {t['params'].format(year=year)}", "",
                  f"| {t['param']} | {t['prior']} | {t['best']} | {t['plaus']} | {t['meaning']} |", "|---|---|---|---|---|"]
        plaus = hm.points[hm.plausible]
        for j, p in enumerate(hm.params):
            x = "×" if p.mode == "scale" else ""
            lines.append(f"| `{p.name}` | {x}{p.low:g}–{x}{p.high:g} | {x}{hm.points[hm.best, j]:.3g} | "
                         f"{x}{plaus[:, j].min():.3g}–{x}{plaus[:, j].max():.3g} | {p.doc} |")
        fig = f"fig_params_{year}{sfx}.png"
        buf = io.BytesIO()
        _param_figure(res, buf, t["fig_params"].format(year=year))
        files[fig] = buf.getvalue()
        lines += ["", f"![{t['fig_params'].format(year=year)}]({fig})", ""]
        lines += [f"{t['runtime']}: {res.seconds / 60:.1f} min ({jobs} jobs); {hm.cpu_note}.", ""]
        if res.sources is not None:
            lines += [f"### {t['sources'].format(year=year)}", "", t["sources_body"].format(reps=SOURCE_REPLICATIONS), "",
                      *_sources_table(res.sources, t), ""]
        if res.heldout is not None:
            lines += [f"## {t['heldout'].format(year=year, src=res.heldout_from)}", "",
                      t["heldout_body"].format(year=year, src=res.heldout_from, n=len(res.heldout_spread)), "",
                      *_fit_table(res.heldout, t, res.heldout_spread), ""]
            fig = f"fig_heldout_{year}{sfx}.png"
            buf = io.BytesIO()
            _fit_figure(res, res.heldout, buf, t["heldout"].format(year=year, src=res.heldout_from))
            files[fig] = buf.getvalue()
            lines += [f"![{t['heldout'].format(year=year, src=res.heldout_from)}]({fig})", ""]
    if conflicts:
        lines += [f"## {t['conflicts']}", "", *[f"- {c}" for c in conflicts], ""]
    lines += [f"## {t['reproduce']}", "", "```", command, "```", ""]
    files["report.md" if lang == "nb" else f"report.{lang}.md"] = "\n".join(lines).encode("utf-8")
    return files


def target_conflicts(spec: CalibrationSpec, lang: str = "nb") -> list[str]:
    """Where the observed figures disagree: the community total against the named municipalities."""
    out = []
    for year in sorted({t.year for t in spec.target}):
        days = {t.municipality: t.observed for t in spec.target if t.year == year and t.kpi == "ukp_days"}
        if "Total" not in days or len(days) < 2:
            continue
        named = {m: v for m, v in days.items() if m != "Total"}
        rest = days["Total"] - sum(named.values())
        names = ", ".join(named)
        if lang == "nb":
            out.append(f"{year}: {names} har til sammen {sum(named.values()):,.0f} av {days['Total']:,.0f} UKP-døgn; "
                       f"de øvrige kommunene får {rest:,.0f}.".replace(",", " "))
        else:
            out.append(f"{year}: {names} hold {sum(named.values()):,.0f} of {days['Total']:,.0f} UKP-days together; "
                       f"the other municipalities get {rest:,.0f}.".replace(",", " "))
    return out
