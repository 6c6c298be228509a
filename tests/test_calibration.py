"""Calibration: does history matching recover a parameter from data the model itself made?"""
from pathlib import Path

import numpy as np
import pytest

from ukp_sim.analysis.calibration import (
    apply_parameters,
    history_match,
    implausibility,
    matching_paths,
    simulate_candidates,
    year_distance,
)
from ukp_sim.base.errors import ScenarioError, UserError
from ukp_sim.config.calibration_file import CalParameter, CalTarget, load_calibration_spec
from ukp_sim.config.loader import load_scenario_data

HERE = Path(__file__).parent
SMALL = HERE / "scenarios" / "one_municipality.toml"
TRUE_BEDS = 20


def _spec_text(observed_days: float, observed_stay: float) -> str:
    # Tolerances are the bands: 5 % for UKP-days, 0.5 day for the mean stay.
    return f"""
[settings]
candidates_per_wave = 16
waves = 2
replications_per_candidate = 2
refine_candidates = 4
refine_replications = 8
max_plausible_sets = 10

[years.2022]
scenario = "{SMALL}"
output = "out.toml"

[[target]]
year = 2022
kpi = "ukp_days"
municipality = "Total"
observed = {observed_days}
tolerance = {0.05 * observed_days}
source = "synthetic: the model itself with {TRUE_BEDS} beds"

[[target]]
year = 2022
kpi = "mean_ukp_stay"
municipality = "Total"
observed = {observed_stay}
tolerance = 0.5
source = "synthetic"

[[parameter]]
name = "beds"
path = "municipalities.*.korttid.units.korttid.beds"
mode = "set"
low = 12
high = 40
integer = true
"""


def _synthetic(tmp_path, reps: int, extra: str = ""):
    """The small scenario, a targets file whose "observed" figures are the model's own with the
    true capacity (``reps`` replications with seeds the calibration never uses: 999 vs 7, so the
    data carry their own noise), and those figures."""
    data, _, _ = load_scenario_data(SMALL)
    spec_file = tmp_path / "targets.toml"
    spec_file.write_text(_spec_text(1.0, 1.0), encoding="utf-8")
    spec = load_calibration_spec(spec_file)
    truth = apply_parameters(data, spec.parameter, np.array([TRUE_BEDS]))
    obs = simulate_candidates([truth], SMALL, spec.targets_for(2022), seed=999, reps=reps, jobs=1)[0].mean(axis=0)
    text = _spec_text(obs[0], obs[1]).replace("[settings]", "[settings]\n" + extra, 1)
    spec_file.write_text(text, encoding="utf-8")
    return data, load_calibration_spec(spec_file), obs


@pytest.mark.slow  # statistical: 16 "observed" replications and a search
def test_calibration_recovers_the_korttid_capacity_that_made_the_data(tmp_path):
    data, spec, obs = _synthetic(tmp_path, reps=16)
    hm = history_match(spec, 2022, data, SMALL, seed=7, jobs=1)
    best = int(round(hm.points[hm.best, 0]))
    plausible = np.round(hm.points[hm.not_implausible, 0]).astype(int)  # every candidate not ruled out
    # Precision expected: near 20 beds UKP-days fall by about 100 a bed, and one replication's
    # UKP-days scatter with SD about 230 (measured: 118-624 days at 20 beds over 4 replications).
    # The data average 16 replications (SE about 58 days) and the re-check 8 (SE about 81), so the
    # recovered capacity has an SD of about sqrt(58^2 + 81^2) / 100 = 1 bed: 3 beds is 3 SD.
    assert abs(best - TRUE_BEDS) <= 3, (best, obs)
    assert plausible.min() <= TRUE_BEDS <= plausible.max()


def test_apply_parameters_sets_and_scales_matching_keys_only():
    data, _, _ = load_scenario_data(HERE.parents[0] / "scenarios" / "prior" / "baseline_prior.toml")
    scale = CalParameter(name="s", path="municipalities.*.korttid.units.*.beds", mode="scale", low=0.5, high=2,
                         integer=True, exclude=("Trondheim",))
    out = apply_parameters(data, [scale], np.array([2.0]))
    assert out["municipalities"]["Melhus"]["korttid"]["units"]["korttid"]["beds"] == 2 * data["municipalities"]["Melhus"]["korttid"]["units"]["korttid"]["beds"]
    assert out["municipalities"]["Trondheim"]["korttid"]["units"]["Øya helsehus"]["beds"] == 125
    assert data["municipalities"]["Melhus"]["korttid"]["units"]["korttid"]["beds"] == 24  # input untouched
    paths = matching_paths(data, "municipalities.*.korttid.units.*.beds", ("Trondheim",))
    assert len(paths) == 19


def test_a_parameter_path_that_matches_nothing_is_a_clear_error():
    data, _, _ = load_scenario_data(SMALL)
    bad = CalParameter(name="x", path="municipalities.*.korttid.units.*.bedz", low=1, high=2)
    with pytest.raises(UserError, match="bedz"):
        apply_parameters(data, [bad], np.array([1.5]))


def test_unstable_candidates_rank_below_stable_ones_with_the_same_mean():
    t = [CalTarget(year=2022, kpi="ukp_days", municipality="Total", observed=100.0, tolerance=10.0, source="x")]
    stable = np.array([[[100.0], [100.0]]])
    wild = np.array([[[50.0], [150.0]]])
    sims = np.concatenate([stable, wild])
    assert year_distance(sims, t)[0] < year_distance(sims, t)[1]
    # the implausibility of the mean alone cannot tell them apart: both means are on target
    assert implausibility(sims, t)[0, 0] == implausibility(sims, t)[1, 0] == 0.0


def test_targets_file_with_a_misspelt_key_names_it(tmp_path):
    f = tmp_path / "t.toml"
    f.write_text('[years.2022]\nscenario = "a"\noutput = "b"\n[[target]]\nyear = 2022\nkpi = "ukp_days"\n'
                 'municipality = "Total"\nobserved = 1\ntolerance = 1\nsource = "x"\nweigth = 2\n'
                 '[[parameter]]\nname = "p"\npath = "a"\nlow = 0\nhigh = 1\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_calibration_spec(f)
    assert info.value.where == "target[0].weigth" and "weight" in info.value.fix


def test_a_start_set_with_an_unknown_or_out_of_range_parameter_is_a_clear_error(tmp_path):
    f = tmp_path / "t.toml"
    base = _spec_text(100.0, 2.0)
    f.write_text(base.replace('output = "out.toml"', 'output = "out.toml"\nstart = { bedz = 20 }'), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_calibration_spec(f)
    assert info.value.where == "years.2022.start.bedz"
    f.write_text(base.replace('output = "out.toml"', 'output = "out.toml"\nstart = { beds = 80 }'), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_calibration_spec(f)
    assert info.value.where == "years.2022.start.beds" and "12" in str(info.value)


def test_the_start_set_is_the_first_candidate_of_wave_one(tmp_path):
    from ukp_sim.analysis.calibration import start_point

    f = tmp_path / "t.toml"
    f.write_text(_spec_text(100.0, 2.0).replace('output = "out.toml"', 'output = "out.toml"\nstart = { beds = 31 }')
                 .replace("candidates_per_wave = 16", "candidates_per_wave = 4").replace("waves = 2", "waves = 1"),
                 encoding="utf-8")
    spec = load_calibration_spec(f)
    x = start_point(spec, spec.years["2022"])
    assert x.tolist() == [31.0]
    data, _, _ = load_scenario_data(SMALL)
    hm = history_match(spec, 2022, data, SMALL, seed=7, jobs=1, reps=1, start_points=x[None])
    assert hm.points[0, 0] == 31.0 and hm.wave[0] == 1
    # a start set that leaves a parameter out starts it at the middle of its prior range
    empty = load_calibration_spec(f).years["2022"].__class__(scenario="a", output="b")
    assert start_point(spec, empty).tolist() == [26.0]


def test_the_real_targets_file_loads_and_every_parameter_matches_the_baseline():
    spec = load_calibration_spec(HERE.parents[0] / "calibration" / "targets.toml")
    for year, ys in spec.years.items():
        data, _, _ = load_scenario_data(spec.resolve(ys.scenario))
        for p in spec.parameter:
            assert matching_paths(data, p.path, p.exclude), (year, p.name)
    assert {t.year for t in spec.target} == {2022, 2023}


def _claimed_fit(path) -> tuple[int, int]:
    """(targets met, targets) as the calibrated scenario file's header states them."""
    import re

    m = re.search(r"^# Fit of the best set \(\d+ replications\): (\d+) of (\d+) targets within tolerance\.$",
                  path.read_text(encoding="utf-8"), re.M)
    assert m, f"{path.name}: no fit line in the header"
    return int(m.group(1)), int(m.group(2))


def _report_section(text: str, heading: str) -> str:
    start = text.index(heading)
    nxt = text.find("\n## ", start + len(heading))
    return text[start:] if nxt < 0 else text[start:nxt]


@pytest.mark.slow
@pytest.mark.parametrize("year", [2022, 2023])
def test_calibrated_baseline_meets_what_its_fit_claims_and_reports_every_miss(year):
    """The calibrated scenario file, read back and rerun as the mean of 30 replications with the
    calibration's seed, meets at least as many targets as its header claims (so a better fit
    passes, a worse one fails); every target it misses is marked as a miss in the committed
    calibration report (nobody reads a miss as a pass); and the headline, the community's
    UKP-days, is within +-5 % of the observed figure, or the file's own header says it is MISSED
    (only `calibrate --force` or `--quick` writes such a file) and the rerun confirms the miss."""
    from ukp_sim.analysis.calibration import check_fit

    spec = load_calibration_spec(HERE.parents[0] / "calibration" / "targets.toml")
    path = HERE.parents[0] / "scenarios" / f"baseline_{year}.toml"
    claimed, n_targets = _claimed_fit(path)
    data, _, _ = load_scenario_data(path)
    fit = _report_section((HERE.parents[0] / "calibration" / "report.en.md").read_text(encoding="utf-8"),
                          f"## Fit {year}")
    # a target the best set misses is explained with numbers: the year's table of which targets
    # can be met together (issue 10: meet every target, or show why one cannot be met with the others)
    assert claimed == n_targets or "Which targets can be met together" in fit
    # The targets the committed baseline was fitted to are those its report lists: targets.toml may
    # hold newer ones that the next calibration will fit (docs/calibration.md, "Status").
    fitted = [t for t in spec.targets_for(year) if f"| {t.kpi} — {t.municipality} |" in fit]
    rows = check_fit(data, path, fitted, seed=2022, reps=30, jobs=2)
    assert len(rows) == n_targets
    passed = [r for r in rows if r.passed]
    assert len(passed) >= claimed, [(r.target.kpi, r.target.municipality, r.mean) for r in rows if not r.passed]
    for r in rows:
        if not r.passed:
            line = next((ln for ln in fit.splitlines()
                         if ln.startswith(f"| {r.target.kpi} — {r.target.municipality} |")), None)
            assert line is not None and "**fail**" in line, (year, r.target.kpi, r.target.municipality)
    total = next(r for r in rows if r.target.kpi == "ukp_days" and r.target.municipality == "Total")
    header = next(ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.startswith("# Headline"))
    within = abs(total.mean - total.target.observed) <= 0.05 * total.target.observed
    assert within == header.endswith(": met."), header  # the header tells the truth either way
    assert within or "MISSED" in header


def _calibrate_one_small_wave(tmp_path) -> None:
    """`calibrate --force` on the small scenario: one wave of 6 candidates, 2 replications."""
    from ukp_sim.cli.main import main

    f = tmp_path / "targets.toml"
    f.write_text(_spec_text(300.0, 2.0).replace("candidates_per_wave = 16", "candidates_per_wave = 6")
                 .replace("waves = 2", "waves = 1").replace("refine_replications = 8", "refine_replications = 2"),
                 encoding="utf-8")
    assert main(["calibrate", str(f), "--final-reps", "2", "--quiet", "--force"]) == 0


def test_the_written_baseline_is_the_world_the_ensemble_picks(tmp_path, monkeypatch):
    """Whichever world the ensemble picks becomes world 1, the first plausible set and the
    calibrated scenario (here the search's second world is picked, as if it fitted best)."""
    import pandas as pd

    from ukp_sim.analysis import calibration as cal
    from ukp_sim.config.loader import load_scenario

    seen = {}

    def pick_second(ensemble, targets):
        seen["beds"] = ensemble["beds"].tolist()
        return 1 if len(ensemble) > 1 else None

    monkeypatch.setattr(cal, "ensemble_best", pick_second)
    _calibrate_one_small_wave(tmp_path)
    assert len(seen["beds"]) > 1
    ens = pd.read_csv(tmp_path / "ensemble_2022.csv")
    picked = seen["beds"][1]
    assert ens["beds"].tolist() == [picked, seen["beds"][0], *seen["beds"][2:]]
    assert ens["world"].tolist() == list(range(1, len(ens) + 1))
    assert pd.read_csv(tmp_path / "plausible_2022.csv").iloc[0]["beds"] == picked
    beds = load_scenario(tmp_path / "out.toml").municipalities["Testby"].korttid.units["korttid"].beds
    assert beds == int(round(picked))


def test_a_balanced_ensemble_writes_the_world_it_judged_best(tmp_path, monkeypatch):
    """Balanced, the worlds are chosen among the candidates judged again with the ensemble's
    replications, the judged best first; that world, not the search's best, is world 1, the first
    plausible set and the calibrated scenario (here the judge picks the last plausible candidate)."""
    import pandas as pd

    from ukp_sim.analysis import calibration as cal
    from ukp_sim.analysis import ensemble as ens_mod
    from ukp_sim.config.loader import load_scenario

    seen = {}

    def pick_last(table, targets):
        ok = np.flatnonzero(table["plausible"].to_numpy(dtype=bool))
        seen["beds"] = table["beds"].tolist()
        return int(ok[-1]) if ok.size else None

    monkeypatch.setattr(ens_mod, "ensemble_best", pick_last)  # the judge of the pool ...
    monkeypatch.setattr(cal, "ensemble_best", lambda ensemble, targets: 0)  # ... and it stays first
    _calibrate_one_small_wave(tmp_path)
    assert len(seen["beds"]) > 1
    ens = pd.read_csv(tmp_path / "ensemble_2022.csv")
    picked = ens.iloc[0]["beds"]
    assert picked != seen["beds"][0]  # not the search's best (the pool's first)
    assert pd.read_csv(tmp_path / "plausible_2022.csv").iloc[0]["beds"] == picked
    judged = pd.read_csv(tmp_path / "judged_2022.csv")  # the whole judged pool, in the pool's order
    assert "Solved exactly over every choice" in (tmp_path / "report.en.md").read_text()
    assert "Løst eksakt over alle valg" in (tmp_path / "report.md").read_text()
    assert judged["beds"].tolist() == seen["beds"] and {"plausible", "seed", "version"} <= set(judged.columns)
    beds = load_scenario(tmp_path / "out.toml").municipalities["Testby"].korttid.units["korttid"].beds
    assert beds == int(round(picked))


def test_calibrate_command_writes_scenario_plausible_sets_and_reports_in_both_languages(tmp_path, capsys):
    """End to end on the small scenario with a tiny search: every output is written, the calibrated
    scenario loads and carries the best set, and the report says where the UKP-days come from."""
    import pandas as pd

    from ukp_sim.cli.main import main
    from ukp_sim.config.loader import load_scenario

    f = tmp_path / "targets.toml"
    f.write_text(_spec_text(300.0, 2.0).replace('output = "out.toml"', 'output = "out.toml"\nstart = { beds = 22 }')
                 .replace("candidates_per_wave = 16", "candidates_per_wave = 4").replace("waves = 2", "waves = 1")
                 .replace("refine_replications = 8", "refine_replications = 2\nlocal_evaluations = 7\n"
                          "local_replications = 2"), encoding="utf-8")
    # a search this small need not meet the headline within 5 %; --force writes its outputs anyway
    # (the refusal itself: test_a_year_with_no_plausible_candidate..., test_a_plausible_best_set...)
    assert main(["calibrate", str(f), "--final-reps", "2", "--quiet", "--force"]) == 0
    assert "2022:" in capsys.readouterr().out
    for name in ("out.toml", "plausible_2022.csv", "report.md", "report.en.md", "fig_fit_2022.png",
                 "fig_fit_2022.en.png", "fig_params_2022.png"):
        assert (tmp_path / name).exists(), name
    best = pd.read_csv(tmp_path / "plausible_2022.csv").iloc[0]["beds"]
    assert "# Headline (ukp_days for Total): " in (tmp_path / "out.toml").read_text(encoding="utf-8")
    s = load_scenario(tmp_path / "out.toml")
    assert s.municipalities["Testby"].korttid.units["korttid"].beds == int(round(best))
    nb = (tmp_path / "report.md").read_text(encoding="utf-8")
    en = (tmp_path / "report.en.md").read_text(encoding="utf-8")
    assert "Hvor UKP-døgnene kommer fra (2022, beste sett)" in nb and "prior-boksen" in nb
    # the method states the implausibility the settings used (one_year_variance is off here)
    assert "+ Var(mean)) >" in en and "Var(year)" not in en and "Var(år)" not in nb
    # the search's waves, the parameters on prior bounds and the ensemble, in both languages
    for text, heads in ((nb, ("Søk 2022", "prior-grense (2022)", "Ensemble av sannsynlige verdener 2022")),
                        (en, ("Search 2022", "touches a prior bound (2022)", "Ensemble of plausible worlds 2022"))):
        assert all(h in text for h in heads), heads
    ens = pd.read_csv(tmp_path / "ensemble_2022.csv")
    assert {"world", "share_decision", "share_bed", "share_home_intake", "share_reception", "seed", "version",
            "beds", "max_implausibility"} <= set(ens.columns)
    assert ens["world"].tolist() == list(range(1, len(ens) + 1)) and ens.iloc[0]["beds"] == best
    shares = ens[["share_decision", "share_bed", "share_home_intake", "share_reception"]].sum(axis=1)
    assert np.allclose(shares, 1.0)  # every UKP-day waits for exactly one thing
    # the baseline is the ensemble's best world: plausible with its replications, most targets met
    from ukp_sim.analysis.ensemble import targets_met
    from ukp_sim.config.calibration_file import load_calibration_spec

    if ens["plausible"].any():
        met = targets_met(ens, [t for t in load_calibration_spec(f).target if t.year == 2022])
        assert ens.iloc[0]["plausible"] and met[0] == met[ens["plausible"].to_numpy()].max()
    assert (tmp_path / "fig_ensemble_2022.png").exists() and (tmp_path / "fig_ensemble_2022.en.png").exists()
    assert "Where the UKP-days come from (2022, best set)" in en
    # the table's Total row adds up its municipality rows (here one municipality: they are equal)
    rows = [line for line in en.splitlines() if line.startswith("| **")]
    assert len(rows) == 2 and rows[0].split("|")[3:6] == rows[1].split("|")[3:6]


def test_quick_calibration_needs_an_out_dir_and_never_replaces_the_baselines(tmp_path, capsys):
    from ukp_sim.cli.main import main

    targets = HERE.parents[0] / "calibration" / "targets.toml"
    assert main(["calibrate", str(targets), "--quick", "--quiet"]) != 0
    err = capsys.readouterr().err
    assert "--quick needs --out-dir" in err
    assert not list(tmp_path.iterdir())


def test_a_year_with_no_plausible_candidate_keeps_its_scenario_unless_forced(tmp_path, capsys):
    """A failed calibration must not silently replace a calibrated baseline."""
    from ukp_sim.cli.main import main

    f = tmp_path / "targets.toml"
    # an impossible target: 50,000 UKP-days from a municipality that makes a few hundred
    f.write_text(_spec_text(50000.0, 2.0).replace("candidates_per_wave = 16", "candidates_per_wave = 4")
                 .replace("waves = 2", "waves = 1"), encoding="utf-8")
    (tmp_path / "out.toml").write_text("# the calibrated baseline\n", encoding="utf-8")
    assert main(["calibrate", str(f), "--final-reps", "2", "--quiet"]) == 1
    assert "NOT replaced" in capsys.readouterr().err
    assert (tmp_path / "out.toml").read_text(encoding="utf-8") == "# the calibrated baseline\n"
    # the report of the baselines in use stays; the attempt's report, which says why, goes beside it
    assert not (tmp_path / "report.en.md").exists() and not (tmp_path / "ensemble_2022.csv").exists()
    attempt = next((tmp_path / "attempts").iterdir())
    assert attempt.name.endswith("_seed2022") and (attempt / "report.en.md").exists()
    assert (attempt / "ensemble_2022.csv").exists()
    assert main(["calibrate", str(f), "--final-reps", "2", "--quiet", "--force"]) == 0
    assert "extends" in (tmp_path / "out.toml").read_text(encoding="utf-8")
    assert (tmp_path / "report.en.md").exists()


def test_a_polish_that_does_not_hold_with_the_re_check_replications_is_dropped(tmp_path, monkeypatch):
    """The compass search judges moves with few replications; its result replaces the best
    leader only if it is better with the leaders' own re-check replications. A polish that is
    far off (the prior's lowest capacity, claimed perfect by its few replications) is dropped."""
    import ukp_sim.analysis.calibration as calibration

    data, spec, obs = _synthetic(tmp_path, reps=4, extra="local_evaluations = 10")
    claimed = np.tile(obs, (4, 1))  # "meets both targets exactly"

    monkeypatch.setattr(calibration, "local_search", lambda *a, **k: (np.array([12.0]), claimed))
    hm = history_match(spec, 2022, data, SMALL, seed=7, jobs=1)
    assert 0 not in hm.wave and hm.points[hm.best, 0] != 12.0



def test_padded_replications_count_as_missing_in_the_implausibility():
    """A candidate simulated with 2 replications, NaN-padded to sit beside one with 4, has the
    implausibility of its 2 replications alone (mean and variance of the mean over 2, not 4)."""
    from ukp_sim.analysis.calibration_core import pad_replications

    t = [CalTarget(year=2022, kpi="ukp_days", municipality="Total", observed=100.0, tolerance=10.0, source="x")]
    two = np.array([[[90.0], [120.0]]])
    four = np.array([[[90.0], [120.0], [100.0], [100.0]]])
    alone = implausibility(two, t)[0, 0]
    side_by_side = implausibility(np.concatenate([pad_replications(two, 4), four]), t)
    assert side_by_side[0, 0] == pytest.approx(alone)
    assert side_by_side[1, 0] == pytest.approx(implausibility(four, t)[0, 0])
    # by hand: mean 105, Var(mean) = 450 / 2, observation variance 25
    assert alone == pytest.approx(5.0 / np.sqrt(25.0 + 225.0))


def test_one_year_variance_joins_the_implausibility_only_when_asked():
    """The observed figure is one year: with ``one_year`` a candidate's single-year variance (its
    replications' sample variance) joins the denominator beside the noise of its mean; without,
    the measure is the previous one exactly."""
    t = [CalTarget(year=2022, kpi="ukp_days", municipality="Total", observed=100.0, tolerance=10.0, source="x")]
    four = np.array([[[90.0], [130.0], [110.0], [110.0]]])  # mean 110, sample variance 800 / 3
    var = 800.0 / 3.0
    assert implausibility(four, t)[0, 0] == pytest.approx(10.0 / np.sqrt(25.0 + var / 4))
    assert implausibility(four, t, one_year=True)[0, 0] == pytest.approx(10.0 / np.sqrt(25.0 + var / 4 + var))
    assert implausibility(four, t, 0.5, one_year=False)[0, 0] == pytest.approx(10.0 / np.sqrt(25.0 * 1.25 + var / 4))
    steady = np.array([[[110.0]] * 4])  # a world without year-to-year scatter is judged as before
    assert implausibility(steady, t, one_year=True)[0, 0] == implausibility(steady, t)[0, 0] == 2.0


def test_year_sd_max_bounds_the_one_year_variance_a_world_is_credited_with():
    """A world whose years scatter widely is not ruled out by one year inside its scatter, but only
    up to the spread the observed series allow: with ``year_sd_max`` the single-year variance
    counts at most (year_sd_max x observed)^2; without, or with a bound above the world's spread,
    the measure is the previous one exactly."""
    free = CalTarget(year=2022, kpi="ukp_days", municipality="Total", observed=100.0, tolerance=4.0, source="x")
    bounded = CalTarget(year=2022, kpi="ukp_days", municipality="Total", observed=100.0, tolerance=4.0, source="x",
                        year_sd_max=0.1)
    wild = np.array([[[110.0], [170.0], [140.0], [140.0]] * 4])  # 16 years: mean 140, sample variance 480
    var = 480.0
    assert implausibility(wild, [free], one_year=True)[0, 0] == pytest.approx(40.0 / np.sqrt(4.0 + var / 16 + var))
    assert implausibility(wild, [free], one_year=True)[0, 0] < 3.0  # its scatter excuses the 40 % miss
    capped = implausibility(wild, [bounded], one_year=True)[0, 0]
    assert capped == pytest.approx(40.0 / np.sqrt(4.0 + var / 16 + 10.0 ** 2))  # SD at most 10 % of 100
    assert capped > 3.0
    # the bound leaves the noise of the mean and a steadier world alone
    assert implausibility(wild, [bounded])[0, 0] == implausibility(wild, [free])[0, 0]
    calm = np.array([[[105.0], [111.0], [108.0], [108.0]]])  # variance 6 < 10^2
    assert implausibility(calm, [bounded], one_year=True)[0, 0] == implausibility(calm, [free], one_year=True)[0, 0]
    assert free.year_sd_bound == float("inf") and bounded.year_sd_bound == pytest.approx(10.0)


def test_a_negative_year_sd_max_is_a_clear_error(tmp_path):
    f = tmp_path / "t.toml"
    f.write_text(_spec_text(100.0, 2.0).replace('source = "', 'year_sd_max = -0.1\nsource = "', 1), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_calibration_spec(f)
    assert info.value.where == "target[0].year_sd_max"


def _fake_world(monkeypatch, low_first: int, sign: float = 1.0):
    """A model of one parameter x whose first ``low_first`` replications come out 4 below x and
    the others 1 above, so that 2 replications say x - 4 and 10 say x: what near-full korttid
    beds do to UKP-days when the common seeds happen to be quiet ones (``sign`` -1: busy ones,
    4 above and 1 below)."""
    import ukp_sim.analysis.calibration as calibration

    def simulate(cands, path, targets, seed, reps, jobs, progress=None, extract=None):
        x = np.array([c["x"] for c in cands])[:, None, None]
        shift = sign * np.where(np.arange(reps) < low_first, -4.0, 1.0)[None, :, None]
        return np.broadcast_to(x + shift, (len(cands), reps, len(targets))).copy()

    monkeypatch.setattr(calibration, "simulate_candidates", simulate)
    monkeypatch.setattr(calibration, "apply_parameters", lambda data, params, x: {"x": float(x[0])})


def _one_parameter_spec(tmp_path, topup: int, margin: float = 0.0):
    f = tmp_path / "t.toml"
    f.write_text(f"""
[settings]
candidates_per_wave = 40
waves = 2
replications_per_candidate = 2
topup_replications = {topup}
topup_margin = {margin}
refine_candidates = 4
refine_replications = 10
emulator = false
[years.2022]
scenario = "{SMALL}"
output = "out.toml"
[[target]]
year = 2022
kpi = "ukp_days"
municipality = "Total"
observed = 10.0
tolerance = 1.0
source = "synthetic"
[[parameter]]
name = "x"
path = "municipalities.*.korttid.units.korttid.beds"
mode = "set"
low = 0
high = 20
""", encoding="utf-8")
    return load_calibration_spec(f)


@pytest.mark.parametrize("margin", [0.0, 10.0])
def test_the_top_up_margin_rescues_worlds_that_a_few_busy_seeds_rule_out(tmp_path, monkeypatch, margin):
    """The mirror image: two replications say x + 4, ten say x. Worlds near x = 10 (the truth) look
    7 implausibility units off with two replications; only a margin above the cut-off gives them
    the ten replications that keep them."""
    _fake_world(monkeypatch, low_first=2, sign=-1.0)
    hm = history_match(_one_parameter_spec(tmp_path, 10, margin), 2022, {}, SMALL, seed=7, jobs=1)
    kept = hm.points[hm.not_implausible, 0]
    if margin:
        assert kept.size > 0 and kept.max() > 10.0 and kept.min() > 7.0
    else:  # only those with x + 4 near 10 were simulated again, and at most their edge holds
        assert sum(w.topped_up for w in hm.waves) > 0 and (kept.size == 0 or kept.max() < 8.0)


@pytest.mark.parametrize("topup", [0, 10])
def test_candidates_not_ruled_out_are_judged_again_with_the_top_up_replications(tmp_path, monkeypatch, topup):
    """Observed 10 with tolerance 1. Two replications per candidate say x - 4, ten say x: without
    the top-up the search keeps worlds around x = 14 whose true mean misses by 4; with it, only
    worlds near 10 survive, and the waves table says how many were simulated again."""
    _fake_world(monkeypatch, low_first=2)
    hm = history_match(_one_parameter_spec(tmp_path, topup), 2022, {}, SMALL, seed=7, jobs=1)
    kept = hm.points[hm.not_implausible, 0]
    assert kept.size > 0
    if topup:
        # 10 replications: mean x, Var(mean) = 2.5 x (10/9) / 10, so |x - 10| <= 3 x 0.87 = 2.6
        assert kept.max() < 13.0 and kept.min() > 7.0
        assert sum(w.topped_up for w in hm.waves) > 0 and hm.topup == 10
    else:
        # 2 identical replications: |x - 4 - 10| <= 3 x 0.56 = 1.7
        assert kept.min() > 12.0


def test_a_plausible_best_set_that_misses_the_headline_does_not_replace_the_baseline():
    """Plausible allows the model discrepancy, so a best set can be plausible and still miss the
    community's UKP-days (the target of highest weight) by more than its tolerance with the fit
    report's replications; such a set must not become the baseline that users cite."""
    from types import SimpleNamespace

    from ukp_sim.analysis.calibration import FitRow
    from ukp_sim.cli.calibrate import unfit_reason

    head = CalTarget(year=2023, kpi="ukp_days", municipality="Total", observed=8700.0, tolerance=435.0,
                     source="x", weight=3.0)
    other = CalTarget(year=2023, kpi="zero_day_share", municipality="Total", observed=0.71, tolerance=0.03,
                      source="x", weight=1.0)

    def res(head_mean, other_mean, plausible=True):
        fit = [FitRow(other, other_mean, 0, 0, np.zeros(30)), FitRow(head, head_mean, 0, 0, np.zeros(30))]
        return SimpleNamespace(hm=SimpleNamespace(any_plausible=plausible), fit=fit)

    assert unfit_reason(res(9227.0, 0.71)).startswith("its best set misses the headline target, ukp_days for Total")
    assert "9,227 with 30 replications against 8,700 ± 435" in unfit_reason(res(9227.0, 0.71))
    assert unfit_reason(res(8900.0, 0.60)) is None  # a miss elsewhere is the report's to show
    assert unfit_reason(res(9227.0, 0.71), headline_too=False) is None  # --quick: a first look
    assert unfit_reason(res(8700.0, 0.71, plausible=False)) == "no candidate was plausible"


def test_the_committed_report_states_the_implausibility_its_settings_use():
    """With ``one_year_variance`` on, the committed report's method names one year's variance in
    the implausibility's denominator, in both languages."""
    spec = load_calibration_spec(HERE.parents[0] / "calibration" / "targets.toml")
    en = (HERE.parents[0] / "calibration" / "report.en.md").read_text(encoding="utf-8")
    nb = (HERE.parents[0] / "calibration" / "report.md").read_text(encoding="utf-8")
    assert ("+ Var(year) + Var(mean)) >" in en) == spec.settings.one_year_variance
    assert ("+ Var(år) + Var(snitt)) >" in nb) == spec.settings.one_year_variance


def test_the_reports_method_names_the_targets_whose_year_spread_is_bounded(tmp_path):
    """The calibration report's method says which targets have their Var(year) bounded and by how
    much, from the targets file; without a bound the note is the plain one."""
    from ukp_sim.report.calibration_report import _year_note
    from ukp_sim.report.locale import words

    f = tmp_path / "t.toml"
    f.write_text(_spec_text(100.0, 2.0), encoding="utf-8")
    plain = load_calibration_spec(f)
    f.write_text(_spec_text(100.0, 2.0).replace('source = "', 'year_sd_max = 0.15\nsource = "', 1), encoding="utf-8")
    bounded = load_calibration_spec(f)
    for lang in ("nb", "en"):
        t = words(lang, "calibration")
        assert _year_note(plain, t, lang) == t["method_year_note"]
        note = _year_note(bounded, t, lang)
        assert "ukp_days Total 2022" in note and "15" in note and "mean_ukp_stay" not in note
