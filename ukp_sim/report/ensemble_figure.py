"""The calibration report's search and ensemble sections: waves, parameters on prior bounds, the
ensemble's bottleneck mix (table and figure) and the regimes the data cannot rule out. Every
sentence is built from the tables it describes."""
from __future__ import annotations

import datetime as dt
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ukp_sim.analysis.ensemble import SHARES, share_spread, table_groups, target_tradeoffs  # noqa: E402
from ukp_sim.analysis.ensemble_balance import MARGIN  # noqa: E402
from ukp_sim.base.vocabulary import TOTAL  # noqa: E402
from ukp_sim.report.numbers import format_number, format_percent  # noqa: E402

COLOURS = {"share_decision": "tab:blue", "share_bed": "tab:red", "share_home_intake": "tab:orange",
           "share_reception": "tab:gray"}


def ensemble_csv(res, seed: int, version: str, judged: bool = False) -> str:
    """``ensemble_<year>.csv``: one row per world, with the run's provenance in every row; with
    ``judged``, ``judged_<year>.csv``: every candidate simulated with the ensemble's replications
    before the worlds were chosen among those still plausible (its ``world`` numbers the pool,
    least implausible in the search first, not the ensemble)."""
    table = (res.judged if judged else res.ensemble).copy()
    table.insert(1, "year", res.year)
    table["seed"] = seed
    table["version"] = version
    table["date"] = dt.date.today().isoformat()
    return table.to_csv(index=False)


def _pct(v: float, lang: str) -> str:
    return format_percent(v, 0, lang)


def _origin(focused_on: str, t: dict) -> str:
    """The wave's origin in the reader's language; the emulators' count stays in figures."""
    key = focused_on.split(" ")[0].rstrip(":")
    label = t["origin"].get(key, focused_on)
    return f"{label} ({focused_on.split(': ', 1)[1]})" if key == "emulator" else label


def waves_section(res, t: dict, lang: str) -> list[str]:
    hm = res.hm
    lines = [f"### {t['waves_title'].format(year=res.year)}", "", "| " + " | ".join(t["waves_cols"]) + " |",
             "|---:|---:|---:|---:|---:|---|"]
    for w in hm.waves:
        lines.append(f"| {w.wave} | {w.candidates} | {w.topped_up if hm.topup else '–'} | {w.plausible_in_wave} | "
                     f"{w.plausible_total} | {_origin(w.focused_on, t)} |")
    lines += ["", t["waves_final"].format(n=int(hm.not_implausible.size), total=len(hm.points)), ""]
    lines += [t["tradeoff_body"].format(cut=format_number(hm.cutoff, None, lang)), "",
              "| " + " | ".join(t["tradeoff_cols"]) + " |", "|---|---:|---:|---:|---|"]
    for r in target_tradeoffs(hm):
        best = "–" if np.isnan(r["best_given_others"]) else format_number(r["best_given_others"], 2, lang)
        partner = "–" if r["partner"] is None else f"{r['partner'].kpi} — {r['partner'].municipality} ({r['joint']})"
        lines.append(f"| {r['target'].kpi} — {r['target'].municipality} | {r['meet_it']} | {r['meet_others']} | "
                     f"{best} | {partner} |")
    lines.append("")
    lines += [f"### {t['bounds_title'].format(year=res.year)}", ""]
    if not res.bounds:
        lines += [t["bounds_none"], ""]
        return lines
    lines += [t["bounds_body"], "", "| " + " | ".join(t["bounds_cols"]) + " |", "|---|---|---|---|"]
    def sig(v: float) -> str:
        return format_number(float(f"{v:.3g}"), None, lang)

    for b in res.bounds:
        lines.append(f"| `{b['parameter']}` | {sig(b['low'])}–{sig(b['high'])} | "
                     f"{sig(b['plausible_min'])}–{sig(b['plausible_max'])} | {t['touches'][b['touches']]} |")
    return [*lines, ""]


def ensemble_section(res, t: dict, lang: str, sfx: str) -> tuple[list[str], dict[str, bytes]]:
    table = res.ensemble
    n = len(table)
    n_ok = int(table["plausible"].sum())
    reps = int(table["replications"].iloc[0])
    pool = int(res.hm.not_implausible.size)
    judged = getattr(res.hm, "judged", None)
    if judged is not None:
        body = t["ensemble_body_judged"].format(judged=judged[0], judged_ok=judged[1], reps=reps, n=n)
    elif n <= pool:
        body = t["ensemble_body"].format(n=n, pool=pool, reps=reps, ok=n_ok)
    else:
        body = t["ensemble_body_filled"].format(n=n, pool=pool, extra=n - pool, reps=reps, ok=n_ok)
    lines = [f"## {t['ensemble_title'].format(year=res.year)}", "", body, ""]
    b = getattr(res.hm, "balance", None)
    if b is not None:
        lines += [t["ensemble_balanced"].format(swaps=b.swaps, margin=format_number(MARGIN, 2, lang),
                                                before=format_number(b.shortfall_before, 2, lang),
                                                after=format_number(b.shortfall_after, 2, lang),
                                                on=(t["balance_on_reps"].format(reps=b.replications)
                                                    if b.replications else t["balance_on_search"])), ""]
    elif res.hm.any_plausible:
        lines += [t["ensemble_unbalanced"], ""]
    spread = share_spread(table)
    lines += ["| " + " | ".join(t["ensemble_cols"]) + " |", "|---|---|---:|---:|---:|"]
    for r in spread.itertuples():
        lines.append(f"| {t['group_names'].get(r.group, r.group)} | {t['share_names'][r.share]} | "
                     f"{_pct(r.min, lang)} | {_pct(r.median, lang)} | {_pct(r.max, lang)} |")
    lines += ["", *regime_sentences(table, t, lang), ""]
    lines += [t["ensemble_fit"].format(n=int(answering(table).sum()), reps=reps), "",
              *ensemble_fit_table(res, t, lang), ""]
    lines += joint_lines(res, t, lang)
    lines += reach_table(res, t, lang, reps)
    fig = f"fig_ensemble_{res.year}{sfx}.png"
    buf = io.BytesIO()
    _figure(table, t, lang, buf, t["fig_ensemble"].format(year=res.year))
    lines += [f"![{t['fig_ensemble'].format(year=res.year)}]({fig})", ""]
    return lines, {fig: buf.getvalue()}


def answering(table) -> np.ndarray:
    """The worlds answers are given over (analysis/worlds.py): world 1 and every world still
    plausible with the ensemble's replications."""
    return table["plausible"].to_numpy(dtype=bool) | (table["world"].to_numpy() == 1)


def ensemble_fit(res) -> list[tuple]:
    """Per target: (target, mean over the answering worlds of their means, min, max, within tolerance)."""
    out = []
    keep = answering(res.ensemble)
    for tg in res.hm.targets:
        v = res.ensemble[f"fit:{tg.label}"].to_numpy(dtype=float)[keep]
        mean = float(np.nanmean(v))
        out.append((tg, mean, float(np.nanmin(v)), float(np.nanmax(v)), abs(mean - tg.observed) <= tg.tolerance))
    return out


def ensemble_fit_table(res, t: dict, lang: str) -> list[str]:
    def num(v: float) -> str:
        return format_number(v, 0 if abs(v) >= 100 else 3 if abs(v) < 1 else 2, lang)

    lines = ["| " + " | ".join(t["ensemble_fit_cols"]) + " |", "|---|---:|---:|---:|---:|---|"]
    for tg, mean, lo, hi, ok in ensemble_fit(res):
        lines.append(f"| {tg.kpi} — {tg.municipality} | {num(tg.observed)} | ± {num(tg.tolerance)} | {num(mean)} | "
                     f"{num(lo)}–{num(hi)} | {t['pass'] if ok else '**' + t['fail'] + '**'} |")
    return lines


def joint_lines(res, t: dict, lang: str) -> list[str]:
    """What the baseline alone and the mean of any k judged plausible worlds can meet together,
    exactly, and what each target they leave unmet would cost (analysis/ensemble_joint via
    ``hm.joint_one`` and ``hm.joint``)."""
    lines = []
    one = getattr(res.hm, "joint_one", None)
    if one is not None and one.trades:
        lines += [t["trade_one_body"].format(n=one.worlds), "", *_trade_table(one, t, lang, 1)]
    rec = getattr(res.hm, "joint", None)
    if rec is None:
        return lines
    j, k = rec.joint, len(rec.joint.chosen)
    labels = {tg.label for tg in rec.used}
    ens_met = [ok for tg, _m, _lo, _hi, ok in ensemble_fit(res) if tg.label in labels]
    b = getattr(res.hm, "balance", None)
    lines += [t["joint_body"].format(k=k, n=rec.worlds, proof="" if j.optimal else t["joint_heuristic"],
                                     met=int(j.met.sum()), targets=len(rec.used), w=format_number(j.weight, None, lang),
                                     wall=format_number(sum(tg.weight for tg in rec.used), None, lang),
                                     kept=rec.maximin_kept, ens=sum(ens_met),
                                     ens_w=format_number(b.met_after if b else j.weight, None, lang)), ""]
    if rec.trades:
        lines += [t["trade_body"].format(k=k), "", *_trade_table(rec, t, lang, k)]
    return lines


def _trade_table(rec, t: dict, lang: str, k: int) -> list[str]:
    """One row per target left unmet: the most (weighted) k worlds meet with it met, and what they give up."""
    w_all = format_number(sum(tg.weight for tg in rec.used), None, lang)
    lines = ["| " + " | ".join(t["trade_cols"]) + " |", "|---|---:|---|"]
    for tr in rec.trades:
        tg = rec.used[tr.target]
        never = t["trade_never_one"] if k == 1 else t["trade_never"].format(k=k)
        most = never if tr.weight is None else f"{format_number(tr.weight, None, lang)} / {w_all}"
        lost = ", ".join(f"{rec.used[i].kpi} — {rec.used[i].municipality}" for i in tr.lost) or "–"
        lines.append(f"| {tg.kpi} — {tg.municipality} | {most} | {lost} |")
    return [*lines, ""]


def reach_table(res, t: dict, lang: str, reps: int) -> list[str]:
    """For each target the baseline or the ensemble mean misses: what the judged plausible worlds can
    meet (analysis/ensemble.reach): whether the miss is the choice's or the plausible region's."""
    if not getattr(res, "reach", None):
        return []
    missed = {r.target.label for r in res.fit if not r.passed}
    missed |= {tg.label for tg, _m, _lo, _hi, ok in ensemble_fit(res) if not ok}
    rows = [r for r in res.reach if r["target"].label in missed]
    k = res.reach[0]["k"]
    if not rows:
        return [t["reach_none"], ""]

    def num(v: float) -> str:
        return format_number(v, 0 if abs(v) >= 100 else 3 if abs(v) < 1 else 2, lang)

    body = t["reach_body"].format(n=res.reach[0]["worlds"], reps=reps, k=k)
    if getattr(res, "most_met", None):
        every, most, n_t = res.most_met
        body += " " + t["reach_most"].format(every=every, most=most, targets=n_t)
    lines = [body, "",
             "| " + " | ".join(c.format(k=k) for c in t["reach_cols"]) + " |", "|---|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        tg = r["target"]
        lines.append(f"| {tg.kpi} — {tg.municipality} | {num(tg.observed)} | ± {num(tg.tolerance)} | {r['meet']} | "
                     f"{r['with_headline']} | {num(r['lowest_mean'])}–{num(r['highest_mean'])} | "
                     f"{t['reach_yes'] if r['reachable'] else '**' + t['reach_no'] + '**'} |")
    return [*lines, ""]


def regime_sentences(table, t: dict, lang: str) -> list[str]:
    """What the worlds disagree on, community-wide: the range of each cause of UKP-days and how
    many worlds have a capacity (korttid bed or home-service start) behind a fifth or more."""
    out = []
    for name in SHARES:
        v = table[name]
        out.append("- " + t["regime_range"].format(what=t["share_names"][name], lo=_pct(v.min(), lang),
                                                   hi=_pct(v.max(), lang)))
    capacity = table["share_bed"] + table["share_home_intake"]
    k = int((capacity >= 0.2).sum())
    out.append("- " + t["regime_capacity"].format(k=k, n=len(table)))
    for g in table_groups(table)[1:]:
        cols = [f"{g}:share_bed", f"{g}:share_home_intake"]
        if all(c in table for c in cols):
            cap = table[cols[0]] + table[cols[1]]
            out.append("- " + t["regime_group"].format(group=t["group_names"].get(g, g), lo=_pct(cap.min(), lang),
                                                       hi=_pct(cap.max(), lang)))
    return out


def _figure(table, t: dict, lang: str, path, title: str) -> None:
    groups = table_groups(table)
    fig, axes = plt.subplots(1, len(groups), figsize=(2.4 * len(groups) + 0.5, 4.2), sharey=True)
    order = np.argsort(table["share_decision"].to_numpy())
    x = np.arange(len(table))
    for ax, g in zip(axes, groups):
        bottom = np.zeros(len(table))
        for name in SHARES:
            col = name if g == TOTAL else f"{g}:{name}"
            v = np.nan_to_num(table[col].to_numpy()[order])
            ax.bar(x, v, bottom=bottom, width=0.85, color=COLOURS[name], label=t["share_names"][name])
            bottom += v
        ax.set_title(t["group_names"].get(g, g), fontsize=9)
        ax.set_ylim(0, 1)
        ax.set_xticks([])
        ax.set_xlabel(t["fig_ensemble_x"], fontsize=8)
    axes[0].yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _p: format_percent(v, 0, lang)))
    axes[0].set_ylabel(t["fig_ensemble_y"], fontsize=8)
    axes[-1].legend(fontsize=7, loc="lower right")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
