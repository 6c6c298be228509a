"""What would it take, over plausible worlds: the lever search (``lever_search``) run in each world
of a calibration's ensemble, and the value that meets the target in a stated share of them.

Worlds that fit the data equally well can need very different doses: where korttid beds bind,
a few beds meet the target; where planning holds the UKP-days, no number of beds does. So the
answer over worlds is the distribution of the per-world answers, and the smallest value that
meets the target in at least ``share`` of the worlds (the ``share`` quantile of the answers, a
world whose target is out of reach counting as above every value). Each world's search has the
same seed and replications (the same random numbers in every world), so worlds differ by their
parameters, not by luck.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ukp_sim.analysis.lever_question import Question
from ukp_sim.analysis.lever_search import NOT_REACHABLE, TargetResult, find_smallest, search_table

WORLD_SHARE_RULE = (
    "Each plausible world gets its own search (same seed and replications in every world). The answer over "
    "worlds is the smallest grid value that meets the target in at least the stated share of worlds: the "
    "share-quantile of the per-world answers, a world where even the highest value searched fails counting as "
    "above every value; 'not reachable' when more than 1 - share of the worlds cannot reach it within the range."
)
ANSWER_COLUMNS = ["world", "status", "answer", "mean", "ci_low", "ci_high", "bound", "n", "met"]


@dataclass(frozen=True)
class WorldsAnswer:
    """The answer over worlds: per-world answers (inf where out of reach) and the share rule's value."""

    worlds: tuple[int, ...]
    answers: tuple[float, ...]  # per world, in ``worlds`` order; math.inf: not reachable within the range
    share: float  # the share of worlds the answer must meet the target in
    value: float  # the smallest value meeting it in >= share of the worlds (inf: not reachable)
    met_share: float  # the share of worlds in which ``value`` meets the target (out of reach: at the top)

    @property
    def unreachable(self) -> int:
        return sum(math.isinf(a) for a in self.answers)

    def quantiles(self) -> tuple[float, float, float]:
        """(min, median, max) of the per-world answers (inf where out of reach)."""
        a = np.asarray(self.answers, dtype=float)
        return float(a.min()), float(np.median(a)), float(a.max())


def answer_over_worlds(worlds: list[int], answers: list[float], share: float) -> WorldsAnswer:
    """The smallest per-world answer that at least ``share`` of the worlds meet at or below (a
    world's target is met at every value at or above its own answer: the search's monotonicity)."""
    if not answers:
        raise ValueError("no worlds")
    a = np.sort(np.asarray(answers, dtype=float))
    k = math.ceil(share * len(a) - 1e-9)  # worlds that must be met
    value = float(a[max(k, 1) - 1])
    # out of reach in too many worlds: the share that reach it at the top of the range
    met = float(np.mean(np.asarray(answers, dtype=float) <= value)) if not math.isinf(value) else \
        float(np.mean(np.isfinite(np.asarray(answers, dtype=float))))
    return WorldsAnswer(tuple(worlds), tuple(float(x) for x in answers), share, value, met)


def find_smallest_over_worlds(questions: dict[int, Question], replications: int, seed: int, runner,
                              share: float, progress: Callable[[int], None] | None = None
                              ) -> tuple[dict[int, TargetResult], WorldsAnswer]:
    """One search per world (``questions``: world number -> its question), then the answer over them."""
    results = {w: find_smallest(q, replications, seed, runner, progress) for w, q in questions.items()}
    answers = [math.inf if r.search.status == NOT_REACHABLE else float(r.search.answer) for r in results.values()]
    return results, answer_over_worlds(list(results), answers, share)


def answers_table(results: dict[int, TargetResult]) -> pd.DataFrame:
    """answers.csv: one row per world, its status and the point it answered with."""
    rows = []
    for w, r in results.items():
        p = r.search.shown
        rows.append({"world": w, "status": r.search.status,
                     "answer": math.nan if r.search.status == NOT_REACHABLE else r.search.answer,
                     "mean": p.mean, "ci_low": p.ci_low, "ci_high": p.ci_high, "bound": p.bound, "n": p.n,
                     "met": p.met})
    return pd.DataFrame(rows, columns=ANSWER_COLUMNS)


def search_table_over_worlds(results: dict[int, TargetResult]) -> pd.DataFrame:
    """search.csv over worlds: every world's search path, with a ``world`` column first."""
    parts = [search_table(r).assign(world=w) for w, r in results.items()]
    table = pd.concat(parts, ignore_index=True)
    return table[["world", *(c for c in table.columns if c != "world")]]
