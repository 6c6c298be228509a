"""Demographic growth: a municipality's admissions that need municipal services grow by its
``admission_growth`` a year from the year after the period's first year; 0 (the default) leaves
every result as it was."""
from __future__ import annotations

import numpy as np
import pytest

from ukp_sim.config.loader import load_scenario
from ukp_sim.sim.model import Model


def _rates(seen: list, scenario) -> tuple[np.ndarray, Model]:
    """The daily first-admission rate of the scenario's one municipality, as the model draws it."""
    model = Model(scenario, 3, 0)
    model.run()
    rate = seen.pop()
    assert not seen
    return rate, model


def test_the_rate_grows_by_the_factor_each_year_after_the_first(write_scenario, admission_rates):
    flat = load_scenario(write_scenario("[period]\nyears = 3\n", name="flat.toml"))
    grown = load_scenario(write_scenario("[period]\nyears = 3\n[municipalities.Testby]\nadmission_growth = 0.1\n",
                                         name="grown.toml"))
    base, _ = _rates(admission_rates, flat)
    more, model = _rates(admission_rates, grown)
    year = model.cal.year.astype(int)
    y0 = grown.period.start.year
    np.testing.assert_allclose(more, base * 1.1 ** np.maximum(0, year - y0), rtol=1e-15)
    assert (more[year <= y0] == base[year <= y0]).all()  # warm-up and first year unchanged
    assert more[year == y0 + 2].sum() == pytest.approx(base[year == y0 + 2].sum() * 1.21)


def test_no_growth_is_the_same_run(write_scenario, small_scenario):
    zero = load_scenario(write_scenario("[municipalities.Testby]\nadmission_growth = 0.0\n", name="zero.toml"))
    a, b = Model(small_scenario, 6, 1).run(), Model(zero, 6, 1).run()
    for col in ("t_admitted", "t_declared", "t_discharged"):
        np.testing.assert_array_equal(a.stays[col], b.stays[col])


def test_the_study_report_states_the_growth_the_baseline_uses(write_scenario):
    """The report's assumption is read from the scenario: no growth says so; a growth names its
    rate; the St. Olavs baseline names Trondheim's own rate beside the other municipalities'."""
    from ukp_sim.report.numbers import format_percent
    from ukp_sim.report.study_report import growth_assumption

    years = [2023, 2024, 2025]
    none = load_scenario(write_scenario("[municipalities.Testby]\nadmission_growth = 0.0\n", name="none.toml"))
    some = load_scenario(write_scenario("[municipalities.Testby]\nadmission_growth = 0.025\n", name="some.toml"))
    assert "no population growth" in growth_assumption(none, years, "en")
    text = growth_assumption(some, years, "en")
    assert "from 2024" in text and "every municipality 2.5" in text
    assert "2,5" in growth_assumption(some, years, "nb")
    st_olavs = load_scenario("scenarios/baseline_2023.toml")
    growth = {m.admission_growth for m in st_olavs.municipalities.values()}
    text = growth_assumption(st_olavs, years, "en")
    own = format_percent(st_olavs.municipalities["Trondheim"].admission_growth, None, "en")
    assert len(growth) == 2 and f"Trondheim {own}" in text and f"other {len(st_olavs.municipalities) - 1}" in text


def test_the_study_report_flags_a_first_year_that_is_still_filling_up(write_scenario):
    """When the baseline's community UKP-days rise into the second year by more than admissions
    grow (plus a 5-point margin), the report says the first year may not be settled, with both
    levels and the warm-up; a rise within the growth, or one year alone, says nothing."""
    import pandas as pd

    from ukp_sim.report.study_report import warmup_line

    scenario = load_scenario(write_scenario("[municipalities.Testby]\nadmission_growth = 0.04\n", name="g.toml"))

    def kpis(v0, v1):
        return pd.DataFrame({"scenario": ["baseline", "baseline", "combined"], "year": [2023, 2024, 2024],
                             "municipality": ["Total"] * 3, "kpi": ["ukp_days"] * 3, "mean": [v0, v1, 1.0]})

    line = warmup_line(kpis(1000.0, 1500.0), scenario, [2023, 2024], "en")
    assert line is not None and "1,000 in 2023 to 1,500 in 2024" in line and "50" in line
    assert f"{scenario.period.warmup_days} days before 2023" in line
    assert warmup_line(kpis(1000.0, 1080.0), scenario, [2023, 2024], "en") is None  # 8 % < 4 % + 5 points
    assert warmup_line(kpis(1000.0, 1100.0), scenario, [2023, 2024], "nb") is not None
    assert warmup_line(kpis(1000.0, 1500.0), scenario, [2023], "en") is None
