"""The hook interface between the model and the interventions, and helpers they share.

The model (``ukp_sim.sim.model``) names no intervention: it builds one ``Intervention`` object per
enabled plug-in (``registry.plugins()``, in registry order) and calls its hooks at the moments an
intervention can act. A hook a plug-in does not override is never called, so a run with no
intervention enabled runs exactly as the model does alone. The moments:

* setup (``__init__``): build per-run state; add units (``model.new_unit``), change reception and
  home intake (``MunicipalityState.receive_every_day`` / ``add_home_intake``); attach a korttid
  pool policy (``KorttidPool.attach_policy``);
* ``declaration(ep)``: a UKP episode is declared (planning time, destination, readmission risk
  ratio, record flags, something to do at discharge);
* ``bed_request(patient)``: a patient asks for a korttidsplass (may it take another
  municipality's bed?); the korttid pool then asks its ``PoolPolicy``;
* ``unit_capacity(m, unit, beds, cut_days)``: the calendar schedule of a unit's open beds;
* ``korttid_los(unit, los, t)``: the length of a korttid stay starting at ``t``;
* ``start()``: the run starts (start SimPy processes here).

What a measure costs is a class method too, called on a run's results: ``yearly_cost(params,
year, activity, prices)`` gives the municipalities' and the hospital's NOK in a year from what the
measure did (``activity``: the year's community KPIs, e.g. its flag counts) and the scenario's
generic ``[costs]`` prices; its own prices are fields of its table. Beds it opens (in a unit of its
own, ``model.new_unit``, or added to a scenario unit's schedule by ``unit_capacity``) are recorded
and priced per bed-day open by the analysis, not here. ``priced`` says whether the measure is
costed at all, ``unpriced`` what part of it is not (the report names both).

One hook is called when a scenario file is loaded, not in a run: ``check(params, scenario)``
(a class method) yields the problems of its table the schema cannot express (names that must
exist, rules across fields or tables); the config layer reports the first one as it reports
every other mistake, so it names no intervention either.

Order matters where SimPy orders simultaneous events by the order of calls, and where units are
numbered: hooks are called in registry order (see ``registry.py``).

Every random decision uses a per-stay uniform the plug-in names in ``stay_uniforms`` (stream
``{kind}/{name}/{municipality}``), drawn only when the plug-in is enabled and compared as
``u < p``: a larger coverage only adds patients, and an intervention that is off (or has coverage
0) reproduces the baseline's records exactly.

This layer imports only ``ukp_sim.base``: the model objects a hook receives (patients, units,
pools, the model) are used through their public attributes and methods only.
"""
from __future__ import annotations

import datetime as dt
import difflib
import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:  # numpy/simpy load on first use: `ukp-sim validate` must start fast
    import numpy as np

INF = math.inf

# The docs of the keys every intervention table has.
ENABLED_DOC = "switch the intervention on (it is off by default)"
RAMP_DOC = ("days over which coverage/effect grows linearly from 0 at `start` to full (0: full at once)")


def half_up(x: float) -> int:
    return int(math.floor(x + 0.5))


def day_of(date: dt.date, origin: dt.date) -> int:
    """Days from the simulation origin to ``date``."""
    return (date - origin).days


def active_share(start: dt.date, year: int, days: tuple[dt.date, dt.date] | None = None) -> float:
    """Share of ``year`` from ``start`` on (0 before it, 1 after it), within ``days`` (the part of
    the year the results cover, default all of it): what a measure paid for from its start costs
    in that year's results."""
    year_first, year_last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    first, last = days or (year_first, year_last)
    begin = max(start, first)
    if begin > last:
        return 0.0
    return ((last - begin).days + 1) / ((year_last - year_first).days + 1)


def hourly_cost(prices: Any) -> float:
    """One staff hour (NOK): a nurse FTE's yearly cost over its hours for patient work."""
    return prices.nurse_fte_year_nok / prices.fte_hours_per_year


def covered(names: tuple[str, ...], all_names: list[str]) -> list[bool]:
    """Per municipality (in model order): is it among ``names`` (all of them if ``names`` is empty)?"""
    chosen = set(names) if names else set(all_names)
    return [n in chosen for n in all_names]


class Ramp:
    """0 before ``t0``; from ``t0`` it grows linearly to 1 over ``days`` (1 at once if 0)."""

    __slots__ = ("t0", "days")

    def __init__(self, t0: float, days: int):
        self.t0 = float(t0)
        self.days = float(days)

    @classmethod
    def of(cls, params, origin: dt.date, start: dt.date | None = None) -> "Ramp":
        """The ramp of an intervention's ``start`` (or another date) and ``ramp_up_days``."""
        return cls(day_of(params.start if start is None else start, origin), params.ramp_up_days)

    def __call__(self, t: float) -> float:
        if t < self.t0:
            return 0.0
        if self.days <= 0.0:
            return 1.0
        return min(1.0, (t - self.t0) / self.days)

    def by_day(self, n_days: int) -> np.ndarray:
        """The factor at the start (midnight) of each day."""
        import numpy as np
        d = np.arange(n_days, dtype=float)
        if self.days <= 0.0:
            return (d >= self.t0).astype(float)
        return np.where(d < self.t0, 0.0, np.minimum(1.0, (d - self.t0) / self.days))


class Episode:
    """One UKP episode at its declaration, as the ``declaration`` hooks see and change it.

    Effects combine so the order of plug-ins does not matter: the planning time is scaled in
    place, an earlier planning start keeps the minimum (``t_plan``), risk ratios keep the minimum
    (the strongest effect), flags are or-ed. The model then sets the decision to
    ``max(0, t_plan + decision - t_declared)`` if planning started before the declaration.
    ``after_declaration`` is planning that cannot start before the declaration (a particular
    place, a home adaptation: see the municipality's ``complex_in_treatment_share``); it is added
    after that, and neither an earlier start nor a faster team shortens it.
    """

    __slots__ = ("patient", "t_admitted", "t_declared", "u", "decision", "after_declaration", "destination",
                 "risk_ratio", "flags", "t_plan", "at_discharge")

    def __init__(self, patient, t_admitted: float, t_declared: float, u: list[float], decision: float,
                 destination: int, after_declaration: float = 0.0):
        self.patient = patient  # cfs, frail, new_to_services, terminal, delirium, municipality (index)
        self.t_admitted = t_admitted
        self.t_declared = t_declared
        self.u = u  # the stay's uniforms; a plug-in finds its own with model.uniform_column(name)
        self.decision = decision  # days of municipal planning that may run while still in treatment
        self.after_declaration = after_declaration  # days of planning that wait for the declaration
        self.destination = destination  # KORTTID, HOME_NEW or HOME_NONE (``ukp_sim.sim.records``)
        self.risk_ratio = 1.0  # x the 30-day readmission probability
        self.flags = 0  # bits of stays.intervention_flags
        self.t_plan = INF  # municipal planning started at this time (INF: at the declaration)
        self.at_discharge: list | None = None  # callables run when the patient leaves hospital

    def on_discharge(self, action) -> None:
        """Run ``action()`` when the patient leaves hospital (not if still there at the end)."""
        if self.at_discharge is None:
            self.at_discharge = []
        self.at_discharge.append(action)


class PoolPolicy:
    """How a korttid pool treats what its own beds cannot: the public interface a pool offers to
    an intervention (``KorttidPool.attach_policy``). The defaults do nothing."""

    __slots__ = ()

    def outside_bed(self, pool, request):
        """``request`` (a sharable ``BedRequest``) found no free bed in ``pool``: a unit of another
        pool, already occupied for the caller, or None (the request then queues at home)."""
        return None

    def after_serve(self, pool) -> None:
        """``pool`` has served its own queue as far as its free beds allow."""

    def admit(self, pool, unit, row: int):
        """A patient of ``pool`` leaves hospital (stays row ``row``) for ``unit`` of another pool
        that ``outside_bed`` gave. Returns (the unit the stay starts in, a lodging or None); a
        lodging has ``started(korttid_row)`` and ``leave() -> the unit to release``."""
        return unit, None


Problem = tuple[str, str, str]  # (key path inside the intervention's table, problem, fix or "")


class ScenarioCheck:
    """What ``Intervention.check`` sees of the scenario being loaded (``scenario``: the frozen
    ``Scenario``, read through its public fields), with the problems every table words alike.
    Key paths are inside the intervention's table: ``municipalities[0]``, ``levels.Oslo``."""

    __slots__ = ("scenario", "names", "_added")

    def __init__(self, scenario: Any, added_units: dict[str, list[str]] | None = None):
        self.scenario = scenario
        self.names = list(scenario.municipalities)  # the municipalities, in file order
        self._added = added_units or {}  # municipality -> units the plug-ins add (``added_units``)

    def units(self, name: str) -> list[str]:
        """The korttid units of municipality ``name``: the scenario's, then those plug-ins add."""
        return [*self.scenario.municipalities[name].korttid.units, *self._added.get(name, ())]

    def municipality(self, where: str, name: str) -> list[Problem]:
        """``name`` must be one of the municipalities."""
        if name in self.scenario.municipalities:
            return []
        close = difflib.get_close_matches(name, self.names, n=1)
        return [(where, f"'{name}' is not one of the municipalities",
                 f"did you mean '{close[0]}'?" if close else "use a name from [municipalities]")]

    def listed(self, where: str, values: tuple[str, ...]) -> list[Problem]:
        """A list of municipalities: each must exist, none twice."""
        out = [p for i, name in enumerate(values) for p in self.municipality(f"{where}[{i}]", name)]
        twice = sorted({n for n in values if values.count(n) > 1})
        if twice:
            out.append((where, f"names {', '.join(twice)} more than once", "list each municipality once"))
        return out

    def within(self, where: str, keys: Iterable[str], members: set[str], problem: str, fix: str) -> list[Problem]:
        """Municipalities named in a per-municipality table must exist and take part."""
        out = []
        for name in keys:
            out += self.municipality(f"{where}.{name}", name)
            if name not in members:
                out.append((f"{where}.{name}", f"'{name}' {problem}", fix))
        return out


class Intervention:
    """One intervention: its schema, labels and hooks; an instance is its state in one run.

    Class attributes describe the plug-in; ``__init__(params, model)`` is the setup hook.
    """

    id: ClassVar[str] = ""  # the key of its table, [interventions.<id>]
    Params: ClassVar[type]  # the table's schema: a frozen, kw_only dataclass with `enabled`, `start`, `ramp_up_days`
    title: ClassVar[str] = ""  # one line for the schema reference
    labels: ClassVar[dict[str, str]] = {}  # display name by language ("nb", "en")
    colour: ClassVar[str] = "#999999"  # in the study's figures
    evidence: ClassVar[dict[str, str]] = {}  # what the effect sizes rest on, by language, for reports
    stay_uniforms: ClassVar[tuple[str, ...]] = ()  # per-stay uniforms it draws, by quantity name
    flags: ClassVar[dict[str, int]] = {}  # bits it sets in stays.intervention_flags, by name
    priced: ClassVar[bool] = False  # what it costs is counted (yearly_cost and/or the beds it opens)
    unpriced: ClassVar[dict[str, str]] = {}  # by language: the part of a priced measure that has no price
    cost_fields: ClassVar[tuple[str, ...]] = ()  # the fields of its table yearly_cost reads (its own prices)

    def __init__(self, params: Any, model: Any):
        self.params = params
        self.model = model

    # ---- hooks (no-ops; the model calls only those a plug-in overrides) ----------------------
    def declaration(self, ep: Episode) -> None:
        """A UKP episode is declared (not for patients already decided at the start)."""

    def bed_request(self, patient) -> bool:
        """A patient asks for a korttidsplass: may a bed of another municipality be given?"""
        return False

    def unit_capacity(self, m, unit, beds, cut_days: np.ndarray):
        """The unit's beds (a number or one per day) and the days the holiday cut applies;
        return both, changed or not (copy ``cut_days`` before changing it)."""
        return beds, cut_days

    def korttid_los(self, unit, los: float, t: float) -> float:
        """The length of a korttid stay in ``unit`` starting at ``t`` (from hospital or home)."""
        return los

    def start(self) -> None:
        """The run starts: start SimPy processes here."""

    # ---- when a scenario file is loaded (class methods: no run exists) ------------------------
    @classmethod
    def check(cls, params: Any, scenario: ScenarioCheck) -> Iterable[Problem]:
        """The problems of this intervention's table that its schema cannot express, checked
        whether or not it is enabled (a misspelt name is a mistake either way): each as (key
        path inside the table, problem, fix). The loader reports the first one as
        ``file: interventions.<id>.<path>: problem (fix: ...)``."""
        return ()

    @classmethod
    def yearly_cost(cls, params: Any, year: int, activity: dict[str, float], prices: Any,
                    days: tuple[dt.date, dt.date] | None = None) -> tuple[float, float]:
        """(municipalities' NOK, hospital's NOK) the measure cost in ``year`` beyond the beds it
        opens; ``activity``: the year's community KPI values by id (missing ones are 0); ``days``:
        the first and last day of the year the results cover (a period may start or end mid-year)."""
        return 0.0, 0.0

    @classmethod
    def added_units(cls, params: Any) -> dict[str, list[str]]:
        """The korttid units this intervention's table adds, by municipality, as other plug-ins'
        ``check`` should know them (``ScenarioCheck.units``)."""
        return {}

    @classmethod
    def overrides(cls, hook: str) -> bool:
        return getattr(cls, hook) is not getattr(Intervention, hook)
