"""Synthetic recovery: can history matching from the whole prior box tell a korttid capacity from a
home-service intake? Targets are made by the model itself with known values; both must be
recovered within the plausible ranges, and those ranges must rule out part of the priors (a
search that keeps everything plausible would "recover" anything)."""
from pathlib import Path

import numpy as np
import pytest

from ukp_sim.analysis.calibration import apply_parameters, history_match, implausibility, simulate_candidates
from ukp_sim.analysis.ensemble import choose_worlds
from ukp_sim.config.calibration_file import load_calibration_spec
from ukp_sim.config.loader import load_scenario_data

HERE = Path(__file__).parent
SMALL = HERE / "scenarios" / "one_municipality.toml"
TRUTH = {"beds": 55, "intake": 3.0}
PRIOR = {"beds": (35, 90), "intake": (1.5, 6.0)}
KPIS = ("ukp_days", "korttid_occupancy", "mean_ukp_stay")


def _spec(tmp_path: Path, observed: dict[str, float], scenario: Path) -> Path:
    targets = "".join(f"""
[[target]]
year = 2022
kpi = "{k}"
municipality = "Total"
observed = {v}
tolerance = {0.03 if k == "korttid_occupancy" else 0.08 * v}
source = "synthetic: the model with {TRUTH}"
""" for k, v in observed.items())
    f = tmp_path / "targets.toml"
    f.write_text(f"""
[settings]
candidates_per_wave = 40
waves = 4
min_plausible = 0
replications_per_candidate = 3
refine_candidates = 2
refine_replications = 2
model_discrepancy = 0.0

[years.2022]
scenario = "{scenario}"
output = "out.toml"
{targets}
[[parameter]]
name = "beds"
path = "municipalities.*.korttid.units.korttid.beds"
low = {PRIOR['beds'][0]}
high = {PRIOR['beds'][1]}
integer = true

[[parameter]]
name = "intake"
path = "municipalities.*.home_service_intake_per_day"
low = {PRIOR['intake'][0]}
high = {PRIOR['intake'][1]}
""", encoding="utf-8")
    return f


@pytest.mark.slow  # statistical: a three-wave search
def test_history_matching_recovers_both_a_korttid_capacity_and_a_home_service_intake(tmp_path):
    # Five times the test municipality, and half of its UKP go home with new services, so both the
    # beds (55 against a load of about 47) and the intake (3.0 a day against about 2.1 arrivals
    # a day) bind. Measured at the truth (4 replications): UKP-days 1,425 (SD 256), occupancy
    # 0.84 (SD 0.01); at 60 beds occupancy 0.77, at an intake of 4.0 UKP-days 1,040.
    text = (SMALL.read_text(encoding="utf-8")
            .replace("destination = { korttid = 0.8, home_new_services = 0.1, home_no_new_services = 0.1 }",
                     "destination = { korttid = 0.5, home_new_services = 0.45, home_no_new_services = 0.05 }")
            .replace("admissions_per_year = 3400", "admissions_per_year = 17000")
            .replace("somatic_beds = 100", "somatic_beds = 500").replace("population = 20000", "population = 100000")
            .replace("long_term_vacancies_per_year = 200", "long_term_vacancies_per_year = 1000"))
    scenario = tmp_path / "two_bottlenecks.toml"
    scenario.write_text(text, encoding="utf-8")
    data, _, _ = load_scenario_data(scenario)
    spec = load_calibration_spec(_spec(tmp_path, dict.fromkeys(KPIS, 1.0), scenario))
    truth = apply_parameters(data, spec.parameter, np.array([TRUTH["beds"], TRUTH["intake"]]))
    # "Observed": 12 replications with seeds the search never uses (999 against 7)
    obs = simulate_candidates([truth], scenario, spec.targets_for(2022), seed=999, reps=12, jobs=1)[0].mean(axis=0)
    spec = load_calibration_spec(_spec(tmp_path, dict(zip(KPIS, obs)), scenario))
    hm = history_match(spec, 2022, data, scenario, seed=7, jobs=1)
    ok = hm.not_implausible
    assert ok.size >= 5, "the search found too few plausible candidates to judge"
    # History matching's claim: the truth is never ruled out. Simulated with the search's seeds
    # and replications, it is not implausible.
    at_truth = simulate_candidates([truth], scenario, hm.targets, seed=7, reps=3, jobs=1)
    assert implausibility(at_truth, hm.targets).max() <= spec.settings.implausibility_cutoff
    for j, name in enumerate(("beds", "intake")):
        lo, hi = hm.points[ok, j].min(), hm.points[ok, j].max()
        width = PRIOR[name][1] - PRIOR[name][0]
        # The plausible candidates are a finite sample of the region the truth lies in, so their
        # range reaches its edge only to within the sampling's resolution: with 20 exploring
        # candidates a wave over 2 parameters, about a tenth of the prior range.
        assert lo - 0.1 * width <= TRUTH[name] <= hi + 0.1 * width, (name, lo, hi)
    # Informative (a flat search would keep the whole prior box). The beds are pinned by the
    # occupancy: at most a fifth of their prior range stays plausible (measured: a tenth). The
    # intake only through UKP-days, which are noisy (SD 256 of 1,425 a replication) and stop
    # answering to it once it no longer binds, and a few beds fewer make up for more intake: so
    # intakes that would bind hard are ruled out (the plausible minimum lies above the lowest
    # quarter of the prior) while the high side stays open (measured: up to the prior's end). That
    # is the answer to "can the figures tell a bed shortage from an intake shortage": partly.
    beds, intake = hm.points[ok, 0], hm.points[ok, 1]
    assert beds.max() - beds.min() <= 0.2 * (PRIOR["beds"][1] - PRIOR["beds"][0])
    assert intake.min() >= PRIOR["intake"][0] + 0.25 * (PRIOR["intake"][1] - PRIOR["intake"][0])
    # the ensemble spans what is plausible: its worlds reach both ends of the plausible beds
    worlds = choose_worlds(hm, 6)
    span = hm.points[worlds, 0]
    assert span.min() <= np.quantile(hm.points[ok, 0], 0.25) and span.max() >= np.quantile(hm.points[ok, 0], 0.75)
