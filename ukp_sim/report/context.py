"""What a study's report and figures need to know about the health community and the period.

Nothing here is typed in: the hospital, the KPI-6 unit and the municipality groups come from the
baseline scenario (``hospital.name`` and ``[community]``), the years from the study's ``[period]``
(its first year is the calibrated baseline year, the rest the strategy years) and the year the
targets are due from ``ukp_sim/data/targets.toml``.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ukp_sim.config.scenario import Community, Hospital, Scenario
from ukp_sim.config.targets import target_year
from ukp_sim.report.locale import join_words


@dataclass(frozen=True)
class StudyContext:
    hospital: str
    municipalities: tuple[str, ...]
    unit: str | None  # the KPI-6 unit as "Municipality/Unit"; None: KPI 6 for the whole community
    groups: tuple[str, ...]  # municipalities with their own observed figures
    largest: str | None  # the municipality shown on its own beside the community (korttid figure)
    years: tuple[int, ...]  # every simulated year; the first is the baseline year
    target_year: int

    @property
    def unit_name(self) -> str:
        return "" if self.unit is None else self.unit.split("/", 1)[-1]

    @property
    def strategy_years(self) -> tuple[int, ...]:
        return self.years[1:]

    @property
    def period(self) -> str:
        """The strategy years as the savings table names them: "2024–2026"."""
        ys = self.strategy_years or self.years
        if not ys:
            return ""
        return str(ys[0]) if len(ys) == 1 else f"{ys[0]}–{ys[-1]}"

    @property
    def goal_year(self) -> int:
        """The year attainment is read in: the target year, or the last year if it is not simulated."""
        if not self.years or self.target_year in self.years:
            return self.target_year
        return self.years[-1]

    def values(self, lang: str) -> dict:
        """The placeholders the catalogue's sentences use."""
        ys = self.years or (self.target_year,)
        first = ys[0]
        return {
            "hospital": self.hospital, "n_municipalities": len(self.municipalities), "unit": self.unit_name,
            "groups": ", ".join(self.groups), "largest": self.largest or "", "first_year": first,
            "last_year": ys[-1], "years": f"{ys[0]}–{ys[-1]}" if len(ys) > 1 else str(first),
            "period": self.period, "later_years": join_words(self.strategy_years, lang),
            "target_year": self.target_year, "y1": first + 1, "y2": first + 2,
            "from_y2": join_words([y for y in ys if y >= first + 2] or [first + 2], lang),
        }


def study_context(baseline: Scenario, years: Iterable[int]) -> StudyContext:
    """The context of a study from its baseline scenario and its simulated years."""
    c = baseline.community
    names = tuple(baseline.municipalities)
    groups = tuple(g for g in c.groups if g in names)
    return StudyContext(hospital=baseline.hospital.name, municipalities=names, unit=c.kpi6_unit,
                        groups=groups, largest=groups[0] if groups else (names[0] if names else None),
                        years=tuple(int(y) for y in years), target_year=target_year())


def context_from_places(places: Iterable[str], years: Iterable[int], sizes: dict | None = None) -> StudyContext:
    """A context read from the municipalities and units in a study's tables, for a caller that has
    no scenario: the scenario schema's defaults where the tables have those places, else the
    places themselves (the only unit, or no unit when there are several, so that KPI 6 is then
    shown for the whole community rather than for a unit guessed wrong), and as the municipality
    shown on its own the largest by ``sizes`` (e.g. korttid beds occupied)."""
    places = sorted({str(p) for p in places} - {"Total"})
    units = [p for p in places if "/" in p]
    munis = tuple(p for p in places if "/" not in p)
    default = Community()
    unit = default.kpi6_unit if default.kpi6_unit in units else (units[0] if len(units) == 1 else None)
    sizes = sizes or {}
    groups = tuple(g for g in default.groups if g in munis) or tuple(sorted(munis, key=lambda m: -sizes.get(m, 0)))[:1]
    return StudyContext(hospital=Hospital.__dataclass_fields__["name"].default, municipalities=munis, unit=unit,
                        groups=groups, largest=groups[0] if groups else None,
                        years=tuple(sorted({int(y) for y in years})), target_year=target_year())
