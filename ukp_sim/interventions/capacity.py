"""``capacity`` — plain capacity what-ifs from a date (not part of the action plan).

Mechanism: extra korttidsplasser in an existing unit or a new unit (filled after the
municipality's own units; extra beds follow the unit's holiday cut and opening dates), extra
home-service starts per reception day (cut in the holidays like the base intake), and reception
every day, weekends and public holidays included, for listed municipalities. The ramp-up scales
extra beds (rounded per day) and intake. The model builds the units, receptions and intakes;
this plug-in only says what changes from when.

Evidence: none needed, the numbers are the planner's; ``scenarios/interventions/capacity.toml``
holds illustrative ones. Full description: docs/interventions.md, section 7.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy/simpy load on first use: `ukp-sim validate` must start fast
    import numpy as np

from ukp_sim.base.distributions import Dist
from ukp_sim.base.fields import MAX_BEDS, _f, _fd, _req
from ukp_sim.interventions.base import ENABLED_DOC, RAMP_DOC, Intervention, Ramp, ScenarioCheck, day_of


@dataclass(frozen=True, kw_only=True)
class ExtraBeds:
    beds: int = _req("extra korttidsplasser", min=0, max=MAX_BEDS)
    unit: str = _f("ekstra", "an existing unit gets the beds; another name makes a new unit")
    los: Dist | None = _f(None, "length of stay in a new unit; default: the municipality's korttid.los")


@dataclass(frozen=True, kw_only=True)
class CapacityWhatIf:
    """Plain capacity what-ifs from a start date."""

    enabled: bool = _f(False, ENABLED_DOC)
    start: dt.date = _f(dt.date(2025, 1, 1), "first day of the extra capacity")
    ramp_up_days: int = _f(0, RAMP_DOC + "; scales extra beds and intake", min=0, max=3650)
    korttid: dict[str, ExtraBeds] = _fd(dict, "extra korttidsplasser by municipality")
    home_intake_per_day: dict[str, float] = _fd(
        dict, "extra home-service starts per reception day, by municipality", min=0, max=MAX_BEDS
    )
    weekend_reception: tuple[str, ...] = _f(
        (), "municipalities that receive patients every day, public holidays included"
    )


class Plugin(Intervention):
    id = "capacity"
    Params = CapacityWhatIf
    title = "extra capacity from a date"
    labels = {"nb": "Ekstra kapasitet", "en": "Extra capacity"}
    colour = "#DDCC77"  # not in the report (the study leaves capacity out); Tol sand
    priced = True  # its extra beds, per bed-day open
    unpriced = {"nb": "ekstra hjemmetjenesteinntak og helgemottak",
                "en": "extra home-service intake and weekend reception"}

    @classmethod
    def check(cls, params: CapacityWhatIf, scenario: ScenarioCheck):
        for name, extra in params.korttid.items():
            yield from scenario.municipality(f"korttid.{name}", name)
            if not extra.unit:
                yield (f"korttid.{name}.unit", "is empty", 'name the unit, e.g. unit = "ekstra"')
        for name in params.home_intake_per_day:
            yield from scenario.municipality(f"home_intake_per_day.{name}", name)
        yield from scenario.listed("weekend_reception", params.weekend_reception)

    @classmethod
    def added_units(cls, params: CapacityWhatIf) -> dict[str, list[str]]:
        """The unit named for each municipality's extra beds (enabled or not, as ``check`` sees it)."""
        return {name: [extra.unit] for name, extra in params.korttid.items()}

    def __init__(self, params: CapacityWhatIf, model):
        import numpy as np

        super().__init__(params, model)
        cal = model.cal
        r_day = Ramp.of(params, cal.origin).by_day(cal.n_days)
        d0 = max(0, day_of(params.start, cal.origin))
        self.extra_beds: dict[int, np.ndarray] = {}  # unit uid -> extra beds per day
        for m in model.munis:
            extra_intake = params.home_intake_per_day.get(m.name, 0.0)
            if m.name in params.weekend_reception:
                m.receive_every_day(d0)
            if extra_intake > 0:
                m.add_home_intake(extra_intake * r_day)
            eb = params.korttid.get(m.name)
            if eb is not None and eb.beds > 0:
                extra = np.floor(eb.beds * r_day + 0.5).astype(np.int64)
                unit = next((u for u in m.units if u.name == eb.unit), None)
                if unit is None:
                    unit = model.new_unit(m, eb.unit, eb.los or m.spec.korttid.los)
                self.extra_beds[unit.uid] = self.extra_beds.get(unit.uid, 0) + extra

    def unit_capacity(self, m, unit, beds, cut_days):
        extra = self.extra_beds.get(unit.uid)
        return (beds if extra is None else beds + extra), cut_days
