"""What happened in the period: the chronology of significant events, missing episodes and
placements."""

from __future__ import annotations

from reportlab.platypus import Flowable

from keyworker_app.reports.pdf_document import data_table, empty_note
from keyworker_app.reports.sections.context import PackContext, brief, day, money


def chronology(pack: PackContext) -> list[Flowable]:
    entries = [e for e in pack.record.chronology if pack.within(e.occurred_on)]
    if not entries:
        return [empty_note("No significant events in this period.", pack.styles)]
    rows = [
        [
            day(e.occurred_on),
            e.category.label,
            pack.redact.text(e.title),
            brief(pack.redact.text(e.detail)),
        ]
        for e in sorted(entries, key=lambda e: e.occurred_on)
    ]
    return [
        data_table(
            ["Date", "Category", "Event", "Detail"], rows, pack.styles, shares=[22, 26, 50, 70]
        )
    ]


def missing(pack: PackContext) -> list[Flowable]:
    episodes = [m for m in pack.record.missing_episodes if pack.within(m.went_missing_at)]
    if not episodes:
        return [empty_note("No missing episodes in this period.", pack.styles)]
    rows = []
    for m in sorted(episodes, key=lambda m: m.went_missing_at):
        hours = (
            f"{(m.returned_at - m.went_missing_at).total_seconds() / 3600:.0f} h"
            if m.returned_at
            else "not yet returned"
        )
        rows.append(
            [
                m.went_missing_at.strftime("%d %b %Y %H:%M"),
                hours,
                "Yes" if m.reported_to_police else "No",
                day(m.return_interview_on),
                "Yes" if m.exploitation_concern else "No",
                pack.redact.text(m.where_found),
            ]
        )
    return [
        data_table(
            [
                "Went missing",
                "Away",
                "Police told",
                "Return interview",
                "Exploitation concern",
                "Where found",
            ],
            rows,
            pack.styles,
            shares=[28, 18, 14, 22, 20, 40],
        )
    ]


def placements(pack: PackContext) -> list[Flowable]:
    start, end = pack.period
    chosen = [
        p
        for p in pack.record.placements
        if p.start_date <= end and (p.end_date is None or p.end_date >= start)
    ]
    if not chosen:
        return [empty_note("No placement in this period.", pack.styles)]
    rows = [
        [
            p.placement_type.label,
            pack.redact.text(p.provider),
            "–" if p.in_area is None else ("In area" if p.in_area else "Out of area"),
            day(p.start_date),
            day(p.end_date) if p.end_date else "current",
            money(p.weekly_cost_pence),
            pack.redact.text(p.end_reason),
        ]
        for p in sorted(chosen, key=lambda p: p.start_date)
    ]
    return [
        data_table(
            ["Type", "Provider", "Area", "Start", "End", "Weekly cost", "End reason"],
            rows,
            pack.styles,
            shares=[30, 34, 16, 20, 20, 18, 30],
        )
    ]
