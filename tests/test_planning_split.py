"""Planning split by what it waits for: ``complex_in_treatment_share`` of the complex-planning days
could run while the patient is still in treatment; the rest waits for the declaration. The
split changes nothing by itself (the same days, in the same order); it only limits what an
earlier planning start (early assessment, the frailty pathway) can remove."""
from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from ukp_sim.config.loader import load_scenario
from ukp_sim.kpi import TOTAL, WHOLE_YEAR, compute_kpis
from ukp_sim.sim.model import Model
from ukp_sim.sim.paths import PatientPaths
from ukp_sim.sim.patient import U_COMPLEX, U_COMPLEX_DAYS, U_DECISION

COMPLEX = """
[municipalities.Testby]
complex_share = 0.5
complex_planning_days = { kind = "lognormal", mean = 7.0, cv = 1.0 }
"""
EARLY = """
[interventions.early_assessment]
enabled = true
start = 2021-06-01
coverage = 1.0
cfs_min = 1
"""


def _kpis(path) -> pd.DataFrame:
    s = load_scenario(path)
    model = Model(s, 11, 0)
    return compute_kpis(model.run(), s, model.cal)


def _ukp_days(df: pd.DataFrame) -> float:
    sel = df[(df["municipality"] == TOTAL) & (df["month"] == WHOLE_YEAR) & (df["kpi"] == "ukp_days")]
    return float(sel["value"].iloc[0])


def _with_share(write_scenario, share: float | None, extra: str = "") -> pd.DataFrame:
    body = COMPLEX + (f"complex_in_treatment_share = {share}\n" if share is not None else "") + extra
    return _kpis(write_scenario(body))


def test_the_split_alone_changes_nothing(write_scenario):
    omitted = _with_share(write_scenario, None)
    for share in (1.0, 0.3, 0.0):
        pd.testing.assert_frame_equal(_with_share(write_scenario, share), omitted)


def test_early_planning_shortens_only_the_part_that_can_run_in_treatment(write_scenario):
    """Everyone gets the early assessment: the less of the complex planning can run in treatment,
    the fewer UKP-days it saves (common random numbers: the same patients in every run)."""
    none = _ukp_days(_with_share(write_scenario, 1.0))
    days = {share: _ukp_days(_with_share(write_scenario, share, EARLY)) for share in (1.0, 0.5, 0.0)}
    assert days[1.0] < days[0.5] < days[0.0] < none


def _stub(share: float) -> SimpleNamespace:
    return SimpleNamespace(decision_hours=lambda u: 6.0, office=None, complex_share=1.0,
                           complex_in_treatment_share=share, complex_planning_days=lambda u: 10.0)


@pytest.mark.parametrize("share", [1.0, 0.7, 0.25, 0.0])
def test_planning_days_split_into_in_treatment_and_after_declaration(share):
    u = [0.0] * 32
    u[U_DECISION] = u[U_COMPLEX_DAYS] = 0.5
    u[U_COMPLEX] = 0.0  # complex
    before, after = PatientPaths._planning_days(_stub(share), u, 3.0)
    assert before == pytest.approx(6.0 / 24.0 + 10.0 * share)
    assert after == pytest.approx(10.0 * (1.0 - share))
    u[U_COMPLEX] = 0.99  # not complex (share 1.0 of patients is complex only below u = 1.0)
    stub = _stub(share)
    stub.complex_share = 0.5
    assert PatientPaths._planning_days(stub, u, 3.0) == (6.0 / 24.0, 0.0)
