"""A run that starts from an observed state: korttid residents and UKP already waiting at the
start. A mixin of ``Model`` (kept apart so the model module stays one screenful of flow); it uses
the model's streams, records and patient paths."""
from __future__ import annotations

import numpy as np

from ukp_sim.interventions.base import INF
from ukp_sim.sim.flow import Flow
from ukp_sim.sim.municipality import MunicipalityState
from ukp_sim.sim.patient import U_DESTINATION, StayDraws
from ukp_sim.sim.records import FROM_INITIAL


class InitialState:
    """Places the scenario's ``initial_state`` before the run's day-0 capacity applies.

    Its paths start as SimPy processes would (URGENT events at time 0, ``Flow.start_urgent``) and
    take their beds through the requests' events: at time 0 much happens at once, in the order
    the set-up makes."""

    def _start_initial_state(self):
        for name, init in self.s.initial_state.items():
            m = next(x for x in self.munis if x.name == name)
            if init.korttid_occupied:
                self._initial_korttid(m, init.korttid_occupied, init.long_term_waiting)
            if init.ukp_waiting:
                self._initial_ukp(m, init.ukp_waiting)

    def _initial_korttid(self, m: MunicipalityState, n: int, waiting: int = 0):
        """Residents at the start, each with a residual stay drawn from the stationary
        (length-biased) residual distribution of the length of stay of the unit they are in; the
        first ``waiting`` of them have ended their stay and wait for a long-term place (the waiting
        list, first in line in that order). Beds are taken now, before the day-0 holiday capacity
        applies. Every resident draws the same uniforms, so ``waiting`` changes no other draw."""
        rng = self.streams(f"initial/korttid/{m.name}")
        for i in range(n):
            bed = m.pool.request()
            stay = self._initial_korttid_stay(m, bed, rng.random(64), rng.random(3).tolist(), i < waiting)
            Flow(self.env, stay).start_urgent()

    def _initial_korttid_stay(self, m: MunicipalityState, bed, u_candidates: np.ndarray, u: list[float],
                              waiting: bool = False):
        unit = yield bed
        if waiting:  # stay over, outcome a long-term place: the middle of the outcome's band
            cuts = m.outcome_cuts
            yield from self._korttid_stay(None, m, unit, FROM_INITIAL, 0.0, (cuts[0] + cuts[1]) / 2, INF, 1.0)
            return
        cand = unit.los.from_uniform_array(u_candidates)
        total = cand.sum()
        if total > 0:  # pick a stay with probability proportional to its length
            pick = cand[min(int(np.searchsorted(np.cumsum(cand) / total, u[0])), cand.size - 1)]
        else:
            pick = 0.0
        residual = float(pick * u[1])
        yield from self._korttid_stay(None, m, unit, FROM_INITIAL, residual, u[2], INF, 1.0)

    def _initial_ukp(self, m: MunicipalityState, n: int):
        """UKP waiting at the start: declared, decided, waiting for a korttidsplass."""
        attrs = self._attributes("initial", m, n)
        draws = StayDraws(self.streams, "initial", m.name, block=n, extra=self.extra_uniforms).take(n)
        for i in range(n):
            p = self._new_patient(m.index, attrs, i)
            p.stays = 1
            row = self.records.add_stay(p.pid, m.index, p.frail, p.new_to_services, 1, True, 0.0, True)
            Flow(self.env, self._initial_ukp_episode(p, row, draws[i])).start_urgent()

    def _initial_ukp_episode(self, p, row, u):
        u = list(u)
        u[U_DESTINATION] = 0.0  # waiting for a korttidsplass
        yield from self._ukp_episode(p, row, u, decided=True)
