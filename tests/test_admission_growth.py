"""Demographic growth: a municipality's admissions that need municipal services grow by its
``admission_growth`` a year from the year after the period's first year; 0 (the default) leaves
every result as it was."""
from __future__ import annotations

import numpy as np
import pytest

from ukp_sim.config.loader import load_scenario
from ukp_sim.sim.model import Model


def _rates(monkeypatch, scenario) -> tuple[np.ndarray, Model]:
    """The daily first-admission rate of the scenario's one municipality, as the model draws it."""
    seen: list[np.ndarray] = []
    real = Model._admission_rate

    def spy(self, m, per_day, weights):
        rate = real(self, m, per_day, weights)
        seen.append(np.array(rate))
        return rate

    monkeypatch.setattr(Model, "_admission_rate", spy)
    model = Model(scenario, 3, 0)
    model.run()
    (rate,) = seen
    return rate, model


def test_the_rate_grows_by_the_factor_each_year_after_the_first(write_scenario, monkeypatch):
    flat = load_scenario(write_scenario("[period]\nyears = 3\n", name="flat.toml"))
    grown = load_scenario(write_scenario("[period]\nyears = 3\n[municipalities.Testby]\nadmission_growth = 0.1\n",
                                         name="grown.toml"))
    base, _ = _rates(monkeypatch, flat)
    more, model = _rates(monkeypatch, grown)
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
