"""The readmission risk ratio of the discharge team and the frailty pathway (``readmission_risk_ratio``).

Both interventions multiply a covered patient's readmission probability by the ratio, with the
same uniform number deciding (common random numbers). The tests go through the public path only:
a scenario file extending ``tests/scenarios/one_municipality.toml`` (one municipality, readmission
probability 0.1 for every destination, 3 years), ``load_scenario``, ``Model(...).run()``, the
records and ``compute_kpis``. So they hold whatever the interventions' internals look like.

Everyone is covered: the intervention starts before the simulation does (the calendar begins
120 warm-up days before 1 Jan 2022), CFS >= 1 is eligible, coverage 1, and the team never fills.
The discharge team's other effects are switched off (planning factor 1, nobody sent home instead
of to korttid), so at ratio 1 it must change nothing at all.
"""
from __future__ import annotations

import numpy as np
import pytest

from ukp_sim.config.loader import load_scenario
from ukp_sim.kpi import TOTAL, WHOLE_YEAR, compute_kpis
from ukp_sim.sim.model import Model, build_calendar

SEED = 4
YEARS = (2022, 2023, 2024)

TEAM = """
[interventions.discharge_team]
enabled = true
start = 2021-01-01
capacity = 100000
cfs_min = 1
coverage = 1.0
home_instead_of_korttid = 0.0
planning_time_factor = 1.0
readmission_risk_ratio = {ratio}
"""
FRAILTY = """
[interventions.frailty_pathway]
enabled = true
start = 2021-01-01
coverage = 1.0
cfs_min = 1
notice_hours = 24.0
readmission_risk_ratio = {ratio}
"""
PERIOD = "[period]\nyears = 3\n"


def run(write_scenario, body: str):
    s = load_scenario(write_scenario(PERIOD + body))
    rec = Model(s, SEED, 0).run()
    return s, rec, compute_kpis(rec, s, build_calendar(s))


def kpi5(df) -> np.ndarray:
    sel = (df["kpi"] == "readmission_30d_share") & (df["municipality"] == TOTAL) & (df["month"] == WHOLE_YEAR)
    out = df[sel].set_index("year")["value"]
    assert list(out.index) == list(YEARS)
    return out.to_numpy()


def readmitted_first_stays(rec, before: float) -> set[int]:
    """Patients whose first stay (discharged before ``before``) was followed by another stay."""
    st = rec.stays
    first = (st["episode"] == 1) & ~st["initial"] & (st["t_discharged"] < before)
    again = set(st["patient"][st["episode"] == 2].tolist())
    return {p for p in st["patient"][first].tolist() if p in again}


@pytest.fixture(scope="module")
def reference(tmp_path_factory, small_path):
    """The small scenario over 3 years with no intervention: the readmissions the ratio acts on."""
    path = tmp_path_factory.mktemp("rr") / "reference.toml"
    path.write_text(f'extends = "{small_path.as_posix()}"\n{PERIOD}', encoding="utf-8")
    s = load_scenario(path)
    rec = Model(s, SEED, 0).run()
    df = compute_kpis(rec, s, build_calendar(s))
    # Precondition: readmission probability 0.1 on about 340 UKP stays a year. The share is about
    # 0.1 (binomial SD about 0.016 a year), so 0.04 is far below anything a correct run gives.
    assert np.all(kpi5(df) > 0.04), kpi5(df)
    assert (rec.stays["episode"] >= 2).sum() > 60
    return s, rec, df


@pytest.mark.parametrize("body", [TEAM.format(ratio=0.0), FRAILTY.format(ratio=0.0)],
                         ids=["discharge_team", "frailty_pathway"])
def test_ratio_zero_means_no_covered_patient_is_readmitted(write_scenario, reference, body):
    s, rec, df = run(write_scenario, body)
    st = rec.stays
    declared = np.isfinite(st["t_declared"])
    assert declared.sum() > 900  # three years of UKP stays, all covered
    assert np.all(st["episode"] == 1), "a covered patient with risk ratio 0 was readmitted"
    assert np.all(kpi5(df) == 0.0)


@pytest.mark.parametrize("team_ratio, frailty_ratio", [(1.0, 0.0), (0.0, 1.0)])
def test_both_on_the_smaller_ratio_applies(write_scenario, reference, team_ratio, frailty_ratio):
    """A patient covered by both gets the smaller of the two ratios: with either one 0, nobody
    is readmitted (taking the larger, or only one intervention's, would let readmissions through)."""
    _, rec, df = run(write_scenario, TEAM.format(ratio=team_ratio) + FRAILTY.format(ratio=frailty_ratio))
    assert np.all(rec.stays["episode"] == 1)
    assert np.all(kpi5(df) == 0.0)


def test_discharge_team_at_ratio_one_with_no_other_effect_changes_no_record(write_scenario, reference):
    """Common random numbers: a team that follows everyone but changes nothing (ratio 1,
    planning factor 1, nobody sent home) gives the reference run's records column for column,
    except the flags that say it followed them; and the same KPIs exactly."""
    _, ref, ref_df = reference
    _, rec, df = run(write_scenario, TEAM.format(ratio=1.0))
    assert rec.stays.keys() == ref.stays.keys()
    for col in rec.stays:
        if col == "intervention_flags":
            continue
        a, b = rec.stays[col], ref.stays[col]
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), col
    for col in rec.korttid:
        a, b = rec.korttid[col], ref.korttid[col]
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), col
    assert (rec.stays["intervention_flags"] != 0).sum() > 900  # it did follow them
    # The KPIs are the same, but for the count of the stays it followed (what its cost follows).
    did = df["kpi"] == "stays_team"
    assert (df.loc[did & (df["municipality"] == "Total"), "value"] > 0).all()
    assert (ref_df["kpi"] == df["kpi"]).all() and (ref_df.loc[did, "value"] == 0).all()
    assert df.loc[~did, "value"].to_numpy() == pytest.approx(ref_df.loc[~did, "value"].to_numpy(), nan_ok=True,
                                                             rel=0, abs=0)


@pytest.mark.parametrize("template", [TEAM, FRAILTY], ids=["discharge_team", "frailty_pathway"])
def test_ratio_one_half_halves_first_stay_readmissions_under_common_random_numbers(
        write_scenario, reference, template):
    """The same uniform decides, so the first stays readmitted at ratio 0.5 are a subset of those
    readmitted at ratio 1, and each of those is kept with probability exactly 0.5: given N1
    readmissions at ratio 1, the count at 0.5 is Binomial(N1, 0.5). With N1 about 90 the SD is
    about 0.05 of N1; the bound 0.5 +- 0.2 is 4 SD (false alarm < 1e-4), while an ignored ratio
    gives 1.0 and a ratio applied twice 0.25. First stays discharged more than 31 days before the
    horizon only (the delay to a readmission is cut at the 30-day window), so a readmission is not
    lost at the end of the run."""
    s1, rec1, _ = run(write_scenario, template.format(ratio=1.0))
    _, rec05, _ = run(write_scenario, template.format(ratio=0.5))
    before = min(rec1.horizon, rec05.horizon) - 31.0
    r1, r05 = readmitted_first_stays(rec1, before), readmitted_first_stays(rec05, before)
    assert len(r1) > 50
    assert r05 <= r1, f"{len(r05 - r1)} readmitted at ratio 0.5 but not at ratio 1"
    share = len(r05) / len(r1)
    assert 0.3 < share < 0.7, (len(r05), len(r1))
