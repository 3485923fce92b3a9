"""Goal Based Outcomes: how a young person's goals are moving."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

# A change of at least this many points between first and latest score counts as movement;
# GBO guidance treats a 2.5-point change as reliable, so smaller changes read as "steady".
RELIABLE_CHANGE = 2.5


class Trend(StrEnum):
    IMPROVING = "improving"
    STEADY = "steady"
    WORSENING = "worsening"
    NOT_SCORED = "not_scored"

    @property
    def symbol(self) -> str:
        return {"improving": "↑", "steady": "→", "worsening": "↓", "not_scored": "–"}[self.value]


def goal_trend(scores: Sequence[float]) -> Trend:
    """The trend of one goal from its scores in date order."""
    if len(scores) < 2:
        return Trend.NOT_SCORED
    change = scores[-1] - scores[0]
    if change >= RELIABLE_CHANGE:
        return Trend.IMPROVING
    if change <= -RELIABLE_CHANGE:
        return Trend.WORSENING
    return Trend.STEADY


def overall_trend(goal_scores: Sequence[Sequence[float]]) -> Trend:
    """The trend across a young person's goals: the average first-to-latest change."""
    changes = [s[-1] - s[0] for s in goal_scores if len(s) >= 2]
    if not changes:
        return Trend.NOT_SCORED
    return goal_trend([0.0, sum(changes) / len(changes)])
