"""The standard study: its file, its common random numbers, its tables and its outputs.

A small study on the one-municipality fixture (three years, the interventions starting in the
second) keeps these tests fast; the real study's scenarios are checked for loading only.
"""
from __future__ import annotations

import gzip
import io
import json
import math
import re
import shlex
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ukp_sim.analysis import runner as experiment
from ukp_sim.analysis.study import (
    KPI_COLUMNS,
    milestone,
    order_scenarios,
    run_study,
    study_tables,
)
from ukp_sim.base.errors import ScenarioError, UserError
from ukp_sim.cli.study import main
from ukp_sim.config.study_file import load_study
from ukp_sim.report.labels import SCENARIOS

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).resolve().parent / "scenarios" / "one_municipality.toml"


def write_study(tmp_path: Path, replications: int = 4, extra: str = "") -> Path:
    """A study of the fixture over 2022-2024: the interventions start on 1 Jan 2023."""
    (tmp_path / "base.toml").write_text(f'extends = "{FIXTURE.as_posix()}"\nname = "base"\n', encoding="utf-8")
    (tmp_path / "same.toml").write_text('extends = "base.toml"\nname = "same"\n', encoding="utf-8")
    (tmp_path / "team.toml").write_text(
        'extends = "base.toml"\nname = "team"\n[interventions.discharge_team]\nenabled = true\n'
        "start = 2023-01-01\ncapacity = 15\n", encoding="utf-8")
    (tmp_path / "korttid.toml").write_text(
        'extends = "base.toml"\nname = "korttid"\n[interventions.efficient_korttid]\nenabled = true\n'
        'start = 2023-01-01\nreduction = { "Testby" = 0.3 }\n', encoding="utf-8")
    study = tmp_path / "study.toml"
    study.write_text(
        f'name = "small_study"\nseed = 7\nreplications = {replications}\nbaseline = "base.toml"\n{extra}'
        "[period]\nstart = 2022-01-01\nyears = 3\nwarmup_days = 60\nfollowup_days = 30\n"
        '[scenarios]\ndischarge_team = "team.toml"\nefficient_korttid = "korttid.toml"\nsame = "same.toml"\n',
        encoding="utf-8")
    return study


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    spec = load_study(write_study(tmp_path_factory.mktemp("study")))
    run = run_study(spec, jobs=1)
    return run, study_tables(run)


# ---------------------------------------------------------------------------------------------
# The study file
# ---------------------------------------------------------------------------------------------
def test_the_standard_study_names_every_intervention_and_loads():
    spec = load_study(ROOT / "experiments" / "standard_study.toml")
    assert order_scenarios(spec.scenarios) == list(SCENARIOS)
    for sid, sc in spec.scenarios.items():
        assert sc.period.start.isoformat() == "2023-01-01" and sc.period.years == 4, sid
        on = {i for i in SCENARIOS[1:-1] if getattr(sc.interventions, i).enabled}
        expected = set() if sid == "baseline" else set(SCENARIOS[1:-1]) if sid == "combined" else {sid}
        assert on == expected, sid
        assert not sc.interventions.capacity.enabled, sid


def test_the_study_period_replaces_each_scenarios_own(tmp_path):
    spec = load_study(write_study(tmp_path))
    for sc in spec.scenarios.values():
        assert (sc.period.start.year, sc.period.years, sc.period.warmup_days) == (2022, 3, 60)


@pytest.mark.parametrize("change, where, words", [
    (("seed = 7", "seed = 7\ncolour = 1"), "colour", "unknown key"),
    (('same = "same.toml"', 'same = "nothere.toml"'), "scenarios.same", "not found"),
    (("replications = 4", "replications = 1"), "replications", "minimum 2"),
    (("years = 3", "years = 0"), "period.years", ""),
    (('baseline = "base.toml"\n', ""), "baseline", "missing"),
])
def test_bad_study_files_name_the_file_and_the_key(tmp_path, change, where, words):
    path = write_study(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace(*change), encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_study(path)
    assert where in str(err.value) and words in str(err.value)
    assert err.value.where == where or err.value.where.startswith(where)


def test_only_keeps_the_baseline_and_the_named_scenarios(tmp_path):
    spec = load_study(write_study(tmp_path), only=["same"])
    assert list(spec.scenarios) == ["baseline", "same"]
    with pytest.raises(UserError, match="no scenario 'nope'"):
        load_study(write_study(tmp_path), only=["nope"])


def test_milestones_follow_the_strategy():
    assert math.isnan(milestone(2023, 2023))
    assert milestone(2024, 2023) == 0.5
    assert milestone(2025, 2023) == 1.0 and milestone(2026, 2023) == 1.0


# ---------------------------------------------------------------------------------------------
# Common random numbers and the tables
# ---------------------------------------------------------------------------------------------
def test_before_any_intervention_starts_every_scenario_equals_the_baseline(small_run):
    _, t = small_run
    first = t.replications[t.replications["year"] == 2022]
    base = first[first["scenario"] == "baseline"].drop(columns="scenario").reset_index(drop=True)
    for sid in ("discharge_team", "efficient_korttid", "same"):
        other = first[first["scenario"] == sid].drop(columns="scenario").reset_index(drop=True)
        pd.testing.assert_frame_equal(base, other, obj=sid)


def test_a_scenario_against_itself_differs_by_exactly_zero(small_run):
    _, t = small_run
    d = t.differences[t.differences["scenario"] == "same"].dropna(subset=["mean_difference"])
    assert len(d) > 0
    assert (d["mean_difference"] == 0).all() and (d["ci_low"] == 0).all() and (d["ci_high"] == 0).all()
    s = t.savings[t.savings["scenario"] == "same"]
    assert (s[["mean", "ci_low", "ci_high"]] == 0).all().all()


def test_the_interventions_act_after_their_start(small_run):
    _, t = small_run
    k = t.kpis.set_index(["scenario", "year", "municipality", "kpi"])["mean"]
    # shorter korttid stays: KPI 6 in the municipality falls by about the 30 % cut from 2023 on
    ratio = k["efficient_korttid", 2024, "Testby", "korttid_los"] / k["baseline", 2024, "Testby", "korttid_los"]
    assert 0.6 < ratio < 0.8
    # the discharge team sends some korttid-bound patients home: KPI 4 rises
    assert k["discharge_team", 2024, "Total", "straight_home_share"] > k["baseline", 2024, "Total",
                                                                             "straight_home_share"]


def test_kpis_table_has_the_issue_columns_milestones_and_status(small_run):
    _, t = small_run
    assert list(t.kpis.columns) == KPI_COLUMNS
    assert set(t.kpis["scenario"]) == {"baseline", "discharge_team", "efficient_korttid", "same"}
    total = t.kpis[(t.kpis["municipality"] == "Total") & (t.kpis["kpi"] == "ukp_days")]
    assert total["milestone"].isna().tolist() == (total["year"] == 2022).tolist()
    assert set(total.loc[total["year"] == 2023, "milestone"]) == {0.5}
    assert set(total.loc[total["year"] == 2024, "milestone"]) == {1.0}
    assert set(total["status"]) <= {"green", "yellow", "red"}
    # attainment follows its definition: (baseline - mean) / (baseline - target)
    row = total.iloc[0]
    assert row["attainment"] == pytest.approx((8700 - row["mean"]) / (8700 - 1767))
    assert (t.kpis["n"] == 4).all()


def test_period_savings_are_the_sum_of_the_years(small_run):
    _, t = small_run
    s = t.savings[(t.savings["scenario"] == "discharge_team") & (t.savings["quantity"] == "ukp_days_saved")]
    s = s.set_index("period")["mean"]
    assert s["2023–2024"] == pytest.approx(s["2023"] + s["2024"])
    d = t.differences
    d = d[(d["scenario"] == "discharge_team") & (d["kpi"] == "ukp_days") & (d["municipality"] == "Total")]
    assert s["2024"] == pytest.approx(-float(d.loc[d["year"] == 2024, "mean_difference"].iloc[0]))


def test_the_savings_price_what_each_measure_did_and_split_it_by_payer(small_run):
    run, t = small_run
    s = t.savings[t.savings["period"] == "2023–2024"].set_index(["scenario", "quantity"])
    s_team = run.spec.scenarios["discharge_team"]
    team = 15 * s_team.interventions.discharge_team.fte_per_place * s_team.costs.nurse_fte_year_nok * 2  # 2023-24
    assert s_team.interventions.discharge_team.payer == "hospital"
    team_rows = s.loc["discharge_team"]
    assert team_rows.loc["intervention_cost_nok", "mean"] == pytest.approx(team)
    assert team_rows.loc["intervention_cost_hospital_nok", "mean"] == pytest.approx(team)
    assert team_rows.loc["intervention_cost_municipality_nok", "mean"] == pytest.approx(0.0)
    saved = team_rows.loc["cost_saved_nok", "mean"]
    assert team_rows.loc["net_saving_municipality_nok", "mean"] == pytest.approx(saved)
    assert team_rows.loc["net_saving_hospital_nok", "mean"] == pytest.approx(-saved - team)
    assert team_rows.loc["net_saving_community_nok", "mean"] == pytest.approx(-team)
    # Shorter korttid stays have no price: no cost of their own, the døgnpris moves as usual.
    k = s.loc["efficient_korttid"]
    assert k.loc["intervention_cost_nok", "mean"] == 0.0
    assert k.loc["net_saving_municipality_nok", "mean"] == pytest.approx(k.loc["cost_saved_nok", "mean"])


def test_the_report_gives_net_cost_and_who_pays_from_the_savings_table(small_run):
    from ukp_sim.report.study_costs import cost_finding, cost_section
    from ukp_sim.report.study_values import ci_text

    run, t = small_run
    scenarios = ["baseline", "discharge_team", "efficient_korttid", "combined"]
    text = {lang: cost_section(t.savings, scenarios, lang, run.spec.scenarios) for lang in ("nb", "en")}
    assert "Nettokostnad og hvem som betaler, 2023–2024" in text["nb"]
    assert "Net cost and who pays, 2023–2024" in text["en"] and "confidence interval" in text["en"]
    row = t.savings[(t.savings["scenario"] == "discharge_team") & (t.savings["period"] == "2023–2024")]
    for quantity in ("cost_saved_nok", "intervention_cost_hospital_nok", "net_saving_hospital_nok"):
        r = row[row["quantity"] == quantity].iloc[0]
        assert ci_text(r["mean"], r["ci_low"], r["ci_high"], "NOK", "en") in text["en"], quantity
    assert "950,000" in text["en"] and "950 000" in text["nb"].replace("\u00a0", " ")  # the prices used
    assert "`fte_per_place` 0.25, `payer` hospital" in text["en"]
    assert "Not costed, for want of a price: Shorter korttid stays." in text["en"].replace("\n", " ")
    # The finding speaks of the combined strategy: none in this study, so no sentence.
    assert cost_finding(t.savings, "en") is None
    combined = t.savings.assign(scenario=t.savings["scenario"].replace("discharge_team", "combined"))
    sentence = cost_finding(combined, "en")
    r = row[row["quantity"] == "net_saving_community_nok"].iloc[0]
    assert sentence and ci_text(r["mean"], r["ci_low"], r["ci_high"], "NOK", "en") in sentence


def test_the_same_study_gives_the_same_numbers_with_two_processes(tmp_path, small_run):
    run1, t1 = small_run
    spec = load_study(write_study(tmp_path))
    t2 = study_tables(run_study(spec, jobs=2))
    pd.testing.assert_frame_equal(t1.kpis, t2.kpis)
    pd.testing.assert_frame_equal(t1.savings, t2.savings)


# ---------------------------------------------------------------------------------------------
# The command: outputs, languages, errors, interruption
# ---------------------------------------------------------------------------------------------
@pytest.mark.slow  # the whole study command end to end (about 10 CPU-s)
def test_the_command_writes_tables_figures_and_reports_in_both_languages(tmp_path, capsys):
    study = write_study(tmp_path, replications=3)
    out = tmp_path / "out"
    assert main([str(study), "--out", str(out), "--jobs", "1", "--quiet"]) == 0
    names = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    for f in ("kpis.csv", "kpis_monthly.csv", "differences.csv", "savings.csv", "replications.csv.gz", "run.json",
              "report.md", "report.html", "report.en.md", "report.en.html"):
        assert f in names, f
    assert any(n.startswith("figures/") and n.endswith(".svg") for n in names)
    assert any(n.startswith("figures/") and n.endswith(".en.png") for n in names)
    meta = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert meta["seed"] == 7 and meta["replications"] == 3 and meta["version"] and meta["date"]
    # the reproduce command is `ukp-sim study` by a path that works as printed (e.g. .venv/bin/ukp-sim)
    words = shlex.split(meta["command"])
    assert words[1] == "study" and str(study) in words
    assert Path(words[0]).name == "ukp-sim" and Path(words[0]).is_file(), words[0]
    assert subprocess.run([words[0], "study", "--help"], capture_output=True).returncode == 0
    assert "ukp_days" in meta["kpi_definitions"]
    nb = (out / "report.md").read_text(encoding="utf-8")
    en = (out / "report.en.md").read_text(encoding="utf-8")
    assert "Hovedfunn" in nb and "STRESS-DES" in nb and "Key findings" in en
    assert meta["command"] in nb
    page = (out / "report.html").read_text(encoding="utf-8")
    srcs = re.findall(r'src="([^"]*)"', page)
    assert srcs and all(s.startswith("data:image/") for s in srcs)  # self-contained
    reps = pd.read_csv(io.BytesIO(gzip.decompress((out / "replications.csv.gz").read_bytes())))
    assert set(reps["replication"]) == {0, 1, 2}


def test_the_command_refuses_bad_input_and_writes_nothing(tmp_path, capsys):
    study = write_study(tmp_path)
    study.write_text(study.read_text(encoding="utf-8").replace("seed = 7", "seed = 7\nseeds = 8"), encoding="utf-8")
    out = tmp_path / "out"
    assert main([str(study), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "study.toml" in err and "seeds" in err and "Traceback" not in err
    assert not out.exists()
    assert main([str(tmp_path / "missing.toml"), "--out", str(out), "--quiet"]) == 2
    assert main([str(write_study(tmp_path)), "-n", "1", "--out", str(out), "--quiet"]) == 2
    assert not out.exists()


@pytest.mark.slow  # a second study run with figures
def test_an_interrupted_study_writes_the_replications_every_scenario_finished(tmp_path, monkeypatch, capsys):
    real = experiment.single_run
    calls = {"n": 0}

    def flaky(scenario, seed, replication):
        calls["n"] += 1
        if calls["n"] == 4 * 3 + 3:  # the third replication of the fourth scenario (scenario-major order)
            raise KeyboardInterrupt
        return real(scenario, seed, replication)

    monkeypatch.setattr(experiment, "single_run", flaky)
    out = tmp_path / "out"
    study = write_study(tmp_path, replications=4)
    assert main([str(study), "--out", str(out), "--jobs", "1", "--quiet", "--lang", "en"]) == 130
    meta = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert meta["interrupted"] is True and meta["replications"] == 2
    kpis = pd.read_csv(out / "kpis.csv")
    assert (kpis["n"] == 2).all()
    assert "Interrupted" in (out / "report.en.md").read_text(encoding="utf-8")
    assert not (out / "report.md").exists()
    assert np.isfinite(kpis["mean"]).any()


def test_the_report_shows_each_municipalitys_effect_beside_the_communitys(small_run):
    from ukp_sim.report.study_sections import municipal_effects_section
    from ukp_sim.report.study_values import ci_text

    _, t = small_run
    text = municipal_effects_section(t.differences, ["baseline", "discharge_team", "efficient_korttid"], 2024, "en")
    lines = text.splitlines()
    community = next(line for line in lines if line.startswith("| Health community |"))
    testby = next(line for line in lines if line.startswith("| Testby |"))
    for line, place in ((community, "Total"), (testby, "Testby")):
        r = t.differences[(t.differences["scenario"] == "discharge_team") & (t.differences["year"] == 2024)
                          & (t.differences["kpi"] == "ukp_days") & (t.differences["municipality"] == place)].iloc[0]
        assert ci_text(r["mean_difference"], r["ci_low"], r["ci_high"], "days", "en") in line
    assert lines.index(community) < lines.index(testby)
    assert "Enhanced discharge team" in text and "Paired difference (scenario − baseline) in UKP-days with 95 % CI" in text
