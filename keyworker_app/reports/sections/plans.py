"""The plan sections: goals with their scores over time, and open and overdue actions (also
listed under the deep dive review they came from)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from reportlab.platypus import Flowable, Spacer

from keyworker_app.domain.goals import goal_trend
from keyworker_app.domain.vocabulary import ActionStatus
from keyworker_app.reports.charts import line_chart
from keyworker_app.reports.pdf_document import data_table, empty_note
from keyworker_app.reports.pdf_text import text_flowable
from keyworker_app.reports.sections.context import PackContext, day
from keyworker_app.store.models import Action

TREND_WORDS = {
    "improving": "Improving",
    "steady": "Steady",
    "worsening": "Getting worse",
    "not_scored": "No scores yet",
}
CHART_GAP = 4  # points, between the goals table and their chart


def actions_table(pack: PackContext, actions: Sequence[Action]) -> Flowable:
    """Actions by due date, overdue ones shaded."""
    r = pack.record
    rows, highlight = [], []
    for index, action in enumerate(sorted(actions, key=lambda a: a.due_on or date.max)):
        overdue = r.overdue(action)
        if overdue:
            highlight.append(index)
        status = "Overdue" if overdue else action.status.label
        if action.status == ActionStatus.DONE and action.completed_on:
            status += f" {day(action.completed_on)}"
        rows.append(
            [
                pack.redact.text(action.description),
                r.staff_names.get(action.owner_id or "", "–"),
                day(action.due_on),
                status,
            ]
        )
    return data_table(
        ["Action", "Owner", "Due", "Status"],
        rows,
        pack.styles,
        shares=[80, 30, 22, 24],
        highlight=highlight,
    )


def goals(pack: PackContext) -> list[Flowable]:
    s, r = pack.styles, pack.record
    if not r.goals:
        return [empty_note("No goals have been set.", s)]
    rows = []
    series = []
    for progress in r.goals:
        scores = sorted(progress.scores, key=lambda x: x.scored_on)
        first = scores[0].score if scores else None
        latest = scores[-1].score if scores else None
        rows.append(
            [
                pack.redact.text(progress.goal.description),
                day(progress.goal.set_on),
                "–" if first is None else str(first),
                "–" if latest is None else f"{latest} ({day(scores[-1].scored_on)})",
                TREND_WORDS[goal_trend([x.score for x in scores]).value] if scores else "–",
            ]
        )
        if scores:
            series.append(
                (
                    # The legend is redacted like the table: a goal in the young person's own
                    # words can name someone a pack shared outside the service withholds.
                    pack.redact.text(progress.goal.description),
                    [(float(x.scored_on.toordinal()), float(x.score)) for x in scores],
                )
            )
    out: list[Flowable] = [
        data_table(
            ["Goal", "Set", "First", "Latest", "Trend"], rows, s, shares=[70, 22, 14, 30, 18]
        )
    ]
    if series:
        out += [
            Spacer(1, CHART_GAP),
            line_chart(
                series,
                y_max=10,
                x_labels=lambda x: date.fromordinal(int(x)).strftime("%b %Y"),
                y_title="GBO score (0–10, higher is closer to the goal)",
            ),
        ]
    return out


def actions(pack: PackContext) -> list[Flowable]:
    open_actions = [a for a in pack.record.actions if a.status == ActionStatus.OPEN]
    if not open_actions:
        return [empty_note("No open actions.", pack.styles)]
    overdue = sum(1 for a in open_actions if pack.record.overdue(a))
    return [
        text_flowable(f"{len(open_actions)} open, {overdue} overdue (shaded).", pack.styles.muted),
        actions_table(pack, open_actions),
    ]
