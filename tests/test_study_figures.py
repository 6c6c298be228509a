"""The standard study's figures: names, formats, determinism, language and odd inputs."""
from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import matplotlib
import pandas as pd
import pytest

from ukp_sim.report import study_figures as sf
from ukp_sim.report.labels import SCENARIOS, scenario_label

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NB = "\u00a0"  # bokmål groups thousands and sets "%" off with a non-breaking space
YEARS = (2023, 2024, 2025, 2026)
PLACES = ("Total", "Trondheim", "Melhus", "Malvik", "Trondheim/Øya helsehus")
# (baseline 2023 value, relative change of the combined strategy by 2026)
LEVELS = {
    "ukp_days": (8000.0, -0.5), "ukp_days_per_1000": (24.0, -0.5), "zero_day_share": (0.71, 0.15),
    "mean_ukp_stay": (4.4, -0.4), "mean_ukp_stay_all": (1.3, -0.4), "straight_home_share": (0.23, 0.2),
    "readmission_30d_share": (0.16, -0.03), "korttid_los": (25.0, -0.2), "cost_nok": (5.0e7, -0.5),
    "beds_held_by_ukp_mean": (22.0, -0.5), "beds_held_by_ukp_p95": (35.0, -0.4),
    "hospital_occupancy": (0.92, -0.02), "ukp_stays": (6000.0, 0.0), "korttid_beds_occupied": (180.0, -0.1),
}
TARGETS = {"ukp_days": (1767, 8700), "zero_day_share": (0.9, 0.71), "mean_ukp_stay": (2.0, 4.5),
           "straight_home_share": (0.3, 0.225), "readmission_30d_share": (0.16, 0.16), "korttid_los": (20.0, 25.0)}


def _strength(scenario: str) -> float:
    """How much of the combined effect a scenario has (the baseline none, an unknown one a little)."""
    if scenario == "baseline":
        return 0.0
    if scenario == "combined":
        return 1.0
    return 0.1 + 0.1 * (SCENARIOS.index(scenario) if scenario in SCENARIOS else 1)


def _value(kpi: str, scenario: str, year: int, place: str, month: int = 0) -> float:
    base, change = LEVELS[kpi]
    ramp = {2023: 0.0, 2024: 0.4, 2025: 0.8, 2026: 1.0}[year]
    scale = 1.0 if place == "Total" or kpi.endswith(("share", "stay", "stay_all", "los", "per_1000")) else 0.3
    v = base * scale * (1 + change * ramp * _strength(scenario))
    if month:
        v = v * (1 + 0.15 * math.cos(2 * math.pi * (month - 1) / 12)) / (12 if kpi in ("ukp_days", "cost_nok") else 1)
    return v


def make_tables(scenarios=SCENARIOS, n: int = 10) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Synthetic kpis, monthly and savings tables in the study's contract (n=1 gives NaN CIs)."""
    half = (lambda v: math.nan) if n == 1 else (lambda v: 0.04 * abs(v) + 1e-3)
    kpi_rows, month_rows, save_rows = [], [], []
    for sc in scenarios:
        for year in YEARS:
            for place in PLACES:
                for kpi in LEVELS:
                    if "/" in place and kpi not in ("korttid_los", "korttid_beds_occupied"):
                        continue  # a korttid unit has only korttid KPIs
                    v = _value(kpi, sc, year, place)
                    target, baseline = TARGETS.get(kpi, (math.nan, math.nan))
                    applies = kpi in TARGETS and (place == "Total" if kpi != "korttid_los" else "/" in place)
                    att = (baseline - v) / (baseline - target) if applies and baseline != target else math.nan
                    status = "" if not applies else "green" if (att >= 1 or (
                        baseline == target and v <= target)) else "yellow" if att >= 0.5 or baseline == target else "red"
                    kpi_rows.append(dict(
                        scenario=sc, year=year, municipality=place, kpi=kpi, mean=v, ci_low=v - half(v),
                        ci_high=v + half(v), n=n, target=target if applies else math.nan,
                        attainment=att, status=status,
                        milestone={2023: math.nan, 2024: 0.5}.get(year, 1.0)))
                    if place in ("Total", "Trondheim") and kpi in ("beds_held_by_ukp_mean", "korttid_beds_occupied",
                                                                   "ukp_days"):
                        for month in range(1, 13):
                            mv = _value(kpi, sc, year, place, month)
                            month_rows.append(dict(scenario=sc, year=year, month=month, municipality=place, kpi=kpi,
                                                   mean=mv, ci_low=mv - half(mv), ci_high=mv + half(mv), n=n))
        if sc == "baseline":
            continue
        for period in ("2024", "2025", "2026", "2024–2026"):
            years = [int(period)] if period.isdigit() else [2024, 2025, 2026]
            days = sum(_value("ukp_days", "baseline", y, "Total") - _value("ukp_days", sc, y, "Total") for y in years)
            for quantity, v in (("ukp_days_saved", days), ("cost_saved_nok", days * 5900.0),
                                ("beds_freed", days / 365 / len(years))):
                save_rows.append(dict(scenario=sc, period=period, quantity=quantity, mean=v,
                                      ci_low=v - half(v) * 3, ci_high=v + half(v) * 3, n=n))
    cols_s = ["scenario", "period", "quantity", "mean", "ci_low", "ci_high", "n"]
    return pd.DataFrame(kpi_rows), pd.DataFrame(month_rows), pd.DataFrame(save_rows, columns=cols_s)


@pytest.fixture(scope="module")
def tables():
    return make_tables()


@pytest.fixture(scope="module")
def rendered(tables):
    return {lang: sf.study_figures(*tables, lang=lang) for lang in ("nb", "en")}


def _svg_text(data: bytes) -> str:
    root = ET.fromstring(data)
    return " ".join(t for el in root.iter() for t in (el.text,) if t)


@pytest.mark.slow  # renders the six figures in both languages (about 10 CPU-s, shared fixture)
def test_every_figure_in_both_formats_and_languages(rendered):
    for lang in ("nb", "en"):
        out = rendered[lang]
        expected = {sf.figure_path(spec.stem, lang, ext) for spec in sf.FIGURES for ext in ("png", "svg")}
        assert set(out) == expected
        for name, data in out.items():
            if name.endswith(".png"):
                assert data.startswith(PNG_SIGNATURE), name
            else:
                assert ET.fromstring(data).tag.endswith("svg"), name
    assert len(sf.FIGURES) == 6


def test_figure_paths_and_captions():
    assert sf.figure_path("kpi_trajectories", "nb") == "figures/kpi_trajectories.png"
    assert sf.figure_path("kpi_trajectories", "en", "svg") == "figures/kpi_trajectories.en.svg"
    stems = [s.stem for s in sf.FIGURES]
    assert stems == ["kpi_trajectories", "ukp_in_hospital", "korttid_occupancy", "effect_ukp_days",
                     "attainment_2025", "cost_saved"]
    for stem in stems:
        nb, en = sf.caption(stem, "nb"), sf.caption(stem, "en")
        assert nb and en and nb != en
        assert "tilfeldige tall" in nb and "random numbers" in en
    with pytest.raises(KeyError):
        sf.caption("nope", "nb")
    with pytest.raises(ValueError):
        sf.figure_path("cost_saved", "de")


@pytest.mark.slow  # renders the six figures again (about 10 CPU-s)
def test_output_is_byte_identical_across_calls(tables, rendered):
    before = dict(matplotlib.rcParams)
    again = sf.study_figures(*tables, lang="nb")
    assert again == rendered["nb"]
    assert dict(matplotlib.rcParams) == before  # the figure settings do not leak into the caller's


@pytest.mark.slow  # renders the six figures in both languages (about 10 CPU-s, shared fixture)
def test_norwegian_and_english_text(rendered):
    nb = {name: _svg_text(data) for name, data in rendered["nb"].items() if name.endswith(".svg")}
    en = {name: _svg_text(data) for name, data in rendered["en"].items() if name.endswith(".svg")}
    traj_nb, traj_en = nb["figures/kpi_trajectories.svg"], en["figures/kpi_trajectories.en.svg"]
    assert "UKP-døgn" in traj_nb and "UKP-days" not in traj_nb
    assert "UKP-days" in traj_en and "UKP-døgn" not in traj_en
    assert f"Mål 2025: ≤ 1{NB}767" in traj_nb and "Target 2025: ≤ 1,767" in traj_en
    assert "95 % konfidensintervall" in traj_nb and "95% confidence interval" in traj_en
    assert scenario_label("combined", "nb") in traj_nb and scenario_label("combined", "en") in traj_en
    assert "skravert: 95 % konfidensintervall" in nb["figures/ukp_in_hospital.svg"]
    assert "mill. kr" in nb["figures/cost_saved.svg"] and "NOK million" in en["figures/cost_saved.en.svg"]
    # Norwegian tick labels: non-breaking space as thousands separator and before "%"
    assert f"8{NB}000" in traj_nb or f"6{NB}000" in traj_nb
    assert f"80{NB}%" in traj_nb and f"80{NB}%" in traj_en
    assert "grønn" in nb["figures/attainment_2025.svg"] and "green" in en["figures/attainment_2025.en.svg"]


def test_number_formatter():
    assert sf.format_number(1767) == f"1{NB}767"
    assert sf.format_number(1767, lang="en") == "1,767"
    assert sf.format_number(0.5) == "0,5"
    assert sf.format_number(0.5, lang="en") == "0.5"
    assert sf.format_number(1234567.891, 1) == f"1{NB}234{NB}567,9"
    assert sf.format_number(2.0) == "2"
    assert sf.format_number(-1500) == f"−1{NB}500"
    assert sf.format_number(-0.0001, 0) == "0"
    assert sf.format_number(float("nan")) == "–"
    assert sf.format_percent(0.71) == f"71{NB}%"
    assert sf.format_percent(0.715, 1) == f"71,5{NB}%"
    assert sf.format_percent(0.715, None, "en") == f"71.5{NB}%"
    assert sf.format_percent(0.3 - 0.1 + 0.1, None) == f"30{NB}%"
    tick = sf.number_formatter("nb")
    assert tick(12000.0, 0) == f"12{NB}000" and tick(2.5, 0) == "2,5"
    assert sf.percent_formatter("nb")(0.9, 0) == f"90{NB}%"


@pytest.mark.slow  # renders the six figures again
def test_subset_and_unknown_scenario():
    k, m, s = make_tables(("baseline", "efficient_korttid", "my_plan"))
    out = sf.study_figures(k, m, s, lang="en")
    assert len(out) == 12
    traj = _svg_text(out["figures/kpi_trajectories.en.svg"])
    assert "my_plan" in traj and scenario_label("efficient_korttid", "en") in traj
    assert scenario_label("combined", "en") not in traj
    assert sf.ordered_scenarios(["my_plan", "combined", "baseline", "a_plan"]) == [
        "baseline", "combined", "a_plan", "my_plan"]


@pytest.mark.slow  # renders the six figures twice more
def test_nan_confidence_intervals_and_missing_tables():
    k, m, s = make_tables(("baseline", "combined"), n=1)
    assert k["ci_low"].isna().all()
    out = sf.study_figures(k, m, s)
    assert all(v.startswith(PNG_SIGNATURE) for name, v in out.items() if name.endswith(".png"))
    # only the baseline: no savings at all; and a table without monthly rows
    k, m, s = make_tables(("baseline",))
    assert s.empty
    out = sf.study_figures(k, m.iloc[0:0], s)
    assert "Ingen data" in _svg_text(out["figures/cost_saved.svg"])


@pytest.mark.slow  # renders the six figures in both languages (about 10 CPU-s, shared fixture)
def test_attainment_cells_show_percent_and_status(rendered):
    text = _svg_text(rendered["nb"]["figures/attainment_2025.svg"])
    k, _, _ = make_tables()
    row = k[(k.scenario == "combined") & (k.year == 2025) & (k.kpi == "ukp_days") & (k.municipality == "Total")]
    assert sf.format_percent(float(row["attainment"].iloc[0])) in text
    assert "rød" in text and "–" in text


def _context(k: pd.DataFrame):
    from ukp_sim.report.study_figures import context_from_places

    return context_from_places(set(k["municipality"]), k["year"].unique(), {})


def test_kpi_axes_span_at_least_half_the_target_so_small_differences_are_not_exaggerated():
    from ukp_sim.report.figure_lines import MIN_SPAN_OF_TARGET, kpi_trajectories

    k, _, _ = make_tables()
    k = sf.clean_table(k, sf.KPI_COLUMNS)
    fig = kpi_trajectories(k, "en", _context(k))
    for ax, kpi in zip(fig.axes, sf.STRATEGY_KPIS):
        lo, hi = ax.get_ylim()
        target = TARGETS[kpi][0]
        assert hi - lo >= MIN_SPAN_OF_TARGET * abs(target) - 1e-12, kpi
        assert lo >= 0, kpi
    # KPI 5 (a level held at 16 %) was drawn across 15.3-16.7 %: now at least 8 points.
    lo, hi = fig.axes[sf.STRATEGY_KPIS.index("readmission_30d_share")].get_ylim()
    assert hi - lo >= 0.08 - 1e-12


def test_over_worlds_the_trajectories_draw_the_prediction_interval_and_show_it_in_the_legend():
    from ukp_sim.report.figure_lines import kpi_trajectories

    k, _, _ = make_tables()
    k = sf.clean_table(k, sf.KPI_COLUMNS)
    wide = k.assign(pi_low=k["mean"] * 0.7, pi_high=k["mean"] * 1.3, worlds=30)
    ctx = _context(k)
    fig = kpi_trajectories(wide, "en", ctx)
    texts = [t.get_text() for leg in fig.legends for t in leg.get_texts()]
    assert any("prediction interval" in t for t in texts)
    ax = fig.axes[0]  # UKP-days: the panel holds the widest interval
    top = wide[(wide["kpi"] == "ukp_days") & (wide["municipality"] == "Total")]["pi_high"].max()
    assert ax.get_ylim()[1] >= top
    for one_world in (k, wide.assign(worlds=1)):  # no worlds, or --world K: the CIs alone
        plain = kpi_trajectories(one_world, "en", ctx)
        assert not any("prediction interval" in t.get_text() for leg in plain.legends for t in leg.get_texts())


def test_the_probability_of_meeting_each_target_is_drawn_per_scenario_and_kpi():
    from ukp_sim.report.world_figures import world_figure_files

    k, _, _ = make_tables()
    k = sf.clean_table(k, sf.KPI_COLUMNS)
    k["p_target_met"] = [((i * 37) % 101) / 100 for i in range(len(k))]
    k = k.assign(worlds=30, pi_low=k["mean"] * 0.8, pi_high=k["mean"] * 1.2)
    diffs = pd.DataFrame({"scenario": ["combined"], "year": [2025], "municipality": ["Total"], "kpi": ["ukp_days"],
                          "mean_difference": [-100.0], "ci_low": [-150.0], "ci_high": [-50.0], "pi_low": [-300.0],
                          "pi_high": [100.0], "base_mean": [8000.0], "share_worlds_better": [0.8],
                          "share_worlds_worse": [0.0]})
    ctx = _context(k)
    out = world_figure_files(diffs, None, 2025, "en", k, ctx)
    assert "figures/p_target_met.en.svg" in out and "figures/p_target_met.en.png" in out
    text = _svg_text(out["figures/p_target_met.en.svg"])
    row = k[(k.scenario == "combined") & (k.year == 2025) & (k.kpi == "ukp_days") & (k.municipality == "Total")]
    assert sf.format_percent(float(row["p_target_met"].iloc[0]), 0, "en") in text
    assert "Probability of meeting each target in 2025" in text
    # Without the column (no worlds) or in one world (--world K), no such figure.
    for one in (k.drop(columns="p_target_met"), k.assign(worlds=1)):
        assert "figures/p_target_met.en.svg" not in world_figure_files(diffs, None, 2025, "en", one, ctx)
