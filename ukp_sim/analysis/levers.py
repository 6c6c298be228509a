"""The levers of ``ukp-sim target``: what one number changes in a scenario, and where.

* Each lever turns a number into a changed scenario **through an intervention table of the
  scenario schema** (``[interventions.capacity]``, ``[interventions.discharge_team]``,
  ``[interventions.efficient_korttid]``), so the change acts through the model's own mechanism.
  Value 0 is the scenario as given; the lever adds to what the scenario already has. A table the
  scenario leaves off is switched on with its default settings from the first simulated day
  (warm-up included), so every reported year sees the whole change; a table the scenario already
  switches on keeps its start date, ramp-up and other settings.
* A lever is bound to a scenario's municipalities (``lever_setting``): one municipality for the
  beds and home-intake levers, a list (in order, for reception days) for the others.

The search for the smallest value that meets a target is in ``lever_search``.
"""
from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, replace

from ukp_sim.base.errors import UserError
from ukp_sim.config.scenario import Scenario
from ukp_sim.interventions.capacity import ExtraBeds
from ukp_sim.sim.calendar import period_bounds

START_RULE = (
    "Lever value 0 is the scenario as given; the lever adds to what the scenario has. An intervention table "
    "the scenario leaves off is switched on with its default settings from the first simulated day (warm-up "
    "included); one the scenario switches on keeps its start date, ramp-up and other settings."
)


def _table(s: Scenario, iv_id: str):
    """The intervention table a lever changes: the scenario's own if it is on; otherwise a fresh one
    with default settings, on from the first simulated day (so the reported years see all of it)."""
    spec = getattr(s.interventions, iv_id)
    if spec.enabled:
        return spec
    origin, _, _ = period_bounds(s.period.start, s.period.years, s.period.warmup_days)
    return type(spec)(enabled=True, start=origin, ramp_up_days=0)


def _own(s: Scenario, iv_id: str) -> bool:
    return getattr(s.interventions, iv_id).enabled


def _with(s: Scenario, iv_id: str, spec) -> Scenario:
    # content_hash describes the file as loaded; a changed scenario has none
    return replace(s, interventions=replace(s.interventions, **{iv_id: spec}), content_hash="")


def _korttid_beds(s: Scenario, v: int, places: tuple[str, ...]) -> Scenario:
    (name,) = places
    cap = _table(s, "capacity")
    old = cap.korttid.get(name)
    extra = ExtraBeds(beds=v) if old is None else replace(old, beds=old.beds + v)
    return _with(s, "capacity", replace(cap, korttid={**cap.korttid, name: extra}))


def _home_intake(s: Scenario, v: float, places: tuple[str, ...]) -> Scenario:
    (name,) = places
    cap = _table(s, "capacity")
    intake = {**cap.home_intake_per_day, name: cap.home_intake_per_day.get(name, 0.0) + v}
    return _with(s, "capacity", replace(cap, home_intake_per_day=intake))


def _team_capacity(s: Scenario, v: int, places: tuple[str, ...]) -> Scenario:
    team = _table(s, "discharge_team")
    if _own(s, "discharge_team"):
        return _with(s, "discharge_team", replace(team, capacity=team.capacity + v))
    return _with(s, "discharge_team", replace(team, capacity=v, municipalities=places))


def _korttid_stay(s: Scenario, v: float, places: tuple[str, ...]) -> Scenario:
    ek = _table(s, "efficient_korttid")
    reduction = dict(ek.reduction) if _own(s, "efficient_korttid") else {}
    for name in places:
        # the municipality's key covers its other units; a unit's own key must get the cut too
        for key in [name, *(k for k in reduction if k.startswith(name + "/"))]:
            reduction[key] = 1.0 - (1.0 - reduction.get(key, 0.0)) * (1.0 - v)
    return _with(s, "efficient_korttid", replace(ek, reduction=reduction))


def _reception_days(s: Scenario, v: int, places: tuple[str, ...]) -> Scenario:
    cap = _table(s, "capacity")
    return _with(s, "capacity", replace(cap, weekend_reception=(*cap.weekend_reception, *places[:v])))


@dataclass(frozen=True)
class Lever:
    name: str
    intervention: str  # the [interventions.<id>] table it acts through
    integer: bool
    unit: str  # what one unit of the lever is
    changes: str  # what it changes in the model
    one_place: bool  # acts on exactly one municipality
    default_places: str  # what it acts on without --municipality
    default_max: float | None  # None: the number of municipalities it acts on
    hard_max: float | None  # the largest value allowed (None: no limit; see default_max)
    default_resolution: float
    apply: Callable[[Scenario, float, tuple[str, ...]], Scenario]
    phrase_nb: str  # "{v}" the value ("{pct}" as a percentage), "{where}" the municipalities
    phrase_en: str

    def doc(self) -> dict:
        """For run.json: what the lever is."""
        return {"name": self.name, "intervention": f"[interventions.{self.intervention}]", "unit": self.unit,
                "whole_numbers": self.integer, "changes": self.changes, "default_places": self.default_places}


LEVERS: dict[str, Lever] = {lv.name: lv for lv in (
    Lever("korttid_beds", "capacity", True, "extra korttidsplasser (beds)",
          "capacity.korttid.M.beds: extra beds in municipality M, in a new unit 'ekstra' with the municipality's "
          "korttid length of stay (or added to the scenario's own capacity entry for M); they follow the "
          "holiday cuts like other beds", True, "the most populous municipality (Trondheim)", 100, None, 1,
          _korttid_beds, "{v} ekstra korttidsplasser i {where}", "{v} extra korttidsplasser in {where}"),
    Lever("team_capacity", "discharge_team", True, "patients the discharge team follows at once",
          "discharge_team.capacity: a discharge team (forsterket utskrivingsteam, default settings) that "
          "follows at most this many patients at once; with --municipality it takes only their patients",
          False, "all municipalities", 100, None, 1, _team_capacity,
          "{v} flere plasser i utskrivingsteamet (pasienter fulgt samtidig; {where})",
          "{v} more discharge-team places (patients followed at once; {where})"),
    Lever("korttid_stay", "efficient_korttid", False, "fraction cut from every korttid stay (0.1 = 10 % shorter)",
          "efficient_korttid.reduction: every korttid stay starting in the municipalities' units is this "
          "fraction shorter (on top of any cut the scenario has: 1 - (1 - r)(1 - v)); 0 to 0.5",
          False, "all municipalities", 0.5, 0.5, 0.01, _korttid_stay,
          "{pct} kortere korttidsopphold i {where}", "korttid stays {pct} shorter in {where}"),
    Lever("reception_days", "capacity", True, "municipalities receiving patients every day",
          "capacity.weekend_reception: the first v municipalities of an order (the --municipality list as given, "
          "else all by population, largest first) receive patients every day, weekends and public holidays "
          "included, with home-service intake those days too; the sets are nested, so more is never less",
          False, "all municipalities, largest first", None, None, 1, _reception_days,
          "mottak alle dager, også helg og helligdager, i {v} kommuner ({where})",
          "reception every day, weekends and public holidays included, in {v} municipalities ({where})"),
    Lever("home_intake", "capacity", False, "extra home-service starts per reception day",
          "capacity.home_intake_per_day.M: more new home-service patients a day in municipality M (cut in the "
          "holidays like the base intake)", True, "the most populous municipality (Trondheim)", 5.0, None, 0.1,
          _home_intake, "{v:g} flere oppstarter i hjemmetjenesten per mottaksdag i {where}",
          "{v:g} more home-service starts per reception day in {where}"),
)}


@dataclass(frozen=True)
class LeverSetting:
    """A lever bound to a scenario: the municipalities it acts on (for reception_days, in order)."""

    lever: Lever
    places: tuple[str, ...]
    every_municipality: bool  # places is all of them (for the wording)

    def scenario_at(self, scenario: Scenario, value: float) -> Scenario:
        """The scenario with the lever at ``value`` (0: the scenario unchanged)."""
        if value == 0:
            return scenario
        return self.lever.apply(scenario, value, self.places)

    def where(self, value: float, lang: str) -> str:
        places = self.places[:int(value)] if self.lever.name == "reception_days" else self.places
        if self.every_municipality and self.lever.name != "reception_days":
            return "alle kommuner" if lang == "nb" else "all municipalities"
        return ", ".join(places) if places else "–"

    def phrase(self, value: float, lang: str) -> str:
        text = self.lever.phrase_nb if lang == "nb" else self.lever.phrase_en
        return text.format(v=value, pct=f"{100 * value:.3g} %", where=self.where(value, lang))


def no_such_municipality(name: str, s: Scenario, option: str) -> UserError:
    close = difflib.get_close_matches(name, list(s.municipalities), n=1)
    fix = f"did you mean '{close[0]}'?" if close else f"use one of: {', '.join(s.municipalities)}"
    return UserError(f"{option}: '{name}' is not a municipality of scenario '{s.name}' (fix: {fix})")


def lever_setting(s: Scenario, lever: Lever, municipalities: list[str] | None) -> LeverSetting:
    """The lever bound to the municipalities it acts on (``--municipality`` as given, else the lever's
    default places); every problem is a ``UserError`` naming the option and the fix."""
    if municipalities is not None:
        for name in municipalities:
            if name not in s.municipalities:
                raise no_such_municipality(name, s, "--municipality")
        if len(set(municipalities)) != len(municipalities):
            raise UserError("--municipality: a municipality is named twice (fix: name each once)")
    if lever.one_place:
        if municipalities is not None and len(municipalities) != 1:
            raise UserError(f"--municipality: the lever {lever.name} acts on one municipality, got "
                            f"{len(municipalities)} (fix: name one)")
        biggest = max(s.municipalities.values(), key=lambda m: (m.population, m.name)).name
        return LeverSetting(lever, tuple(municipalities or [biggest]), False)
    if lever.name == "team_capacity" and _own(s, "discharge_team") and municipalities is not None:
        raise UserError("--municipality: the scenario's own discharge team already says whose patients it takes "
                        "([interventions.discharge_team].municipalities) (fix: leave out --municipality)")
    everyone = sorted(s.municipalities.values(), key=lambda m: (-m.population, m.name))
    places = tuple(municipalities) if municipalities is not None else tuple(m.name for m in everyone)
    if lever.name == "reception_days" and _own(s, "capacity"):
        already = [p for p in places if p in s.interventions.capacity.weekend_reception]
        if municipalities is not None and already:
            raise UserError(f"--municipality: {', '.join(already)} already receive(s) every day in this scenario "
                            "([interventions.capacity].weekend_reception) (fix: leave it out)")
        places = tuple(p for p in places if p not in already)
    if lever.name == "team_capacity" and municipalities is None:
        # the team's own rule: no list means every municipality; a team the scenario has keeps its list
        places = s.interventions.discharge_team.municipalities if _own(s, "discharge_team") else ()
        return LeverSetting(lever, places, not places)
    return LeverSetting(lever, places, municipalities is None)
