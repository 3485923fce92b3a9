"""The service report: a date range's figures for senior leaders and councillors, as the seed
reports show them (referrals by risk category, outcomes at closure, placements started by year
and type, the full-year cost effect of placements ended and started, worker capacity), as a PDF
with tables and charts and the same figures as JSON."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from reportlab.platypus import Flowable, PageBreak, Spacer

from keyworker_app.atomic import write_atomically
from keyworker_app.domain.vocabulary import Outcome, PlacementType, RiskCategory
from keyworker_app.organisation import OrganisationSettings
from keyworker_app.reports.pdf_document import (
    bar_chart,
    cover,
    data_table,
    empty_note,
    key_values,
    render_pdf,
    section,
    styles,
)
from keyworker_app.reports.pdf_text import text_flowable
from keyworker_app.reports.service_figures import service_figures
from keyworker_app.store.caseload_store import Store


def _label(vocabulary: Any, code: str) -> str:
    try:
        return vocabulary(code).label
    except ValueError:
        return code


def _money(pounds: float) -> str:
    sign = "−" if pounds < 0 else ""
    return f"{sign}£{abs(pounds):,.0f}"


MAX_YEARS = 10


def figures_for(
    store: Store, start: date, end: date, *, caseload_cap: int | None = None
) -> dict[str, Any]:
    if start > end:
        raise ValueError("The range starts after it ends; give a --from date before --to")
    if end.year - start.year > MAX_YEARS:
        # One column per financial year: beyond this the table cannot fit an A4 page.
        raise ValueError(
            f"A service report covers at most {MAX_YEARS} years; give a shorter --from to --to"
        )
    with store.reading() as session:
        return service_figures(session, start, end, caseload_cap=caseload_cap)


def _display_name(store: Store) -> str:
    from sqlalchemy import select

    from keyworker_app.store.models import Staff

    with store.reading() as session:
        name = session.scalars(
            select(Staff.display_name).where(Staff.user_name == store.user_name)
        ).first()
    return name or store.user_name


def report_story(
    figures: dict[str, Any],
    prepared_by: str,
    today: date,
    organisation: OrganisationSettings | None = None,
) -> list[Flowable]:
    s = styles()
    period = figures["period"]
    start, end = date.fromisoformat(period["from"]), date.fromisoformat(period["to"])
    referrals = figures["referrals"]
    cost = figures["cost"]
    story: list[Flowable] = cover(
        "Service report",
        [
            ("Period", f"{start:%d %b %Y} to {end:%d %b %Y}"),
            ("Referrals received", str(referrals["received"])),
            ("Referrals closed", str(referrals["closed"])),
            ("Open at the end", str(referrals["open"])),
            ("Net full-year cost effect", _money(cost["net_full_year"])),
            ("Prepared by", prepared_by),
            ("Date", f"{today:%d %b %Y}"),
        ],
        s,
        subtitle="Edge of care service",
        organisation=organisation,
    )
    story.append(PageBreak())

    by_risk = referrals["by_risk_category"]
    risk_rows = [
        [_label(RiskCategory, code), str(v["count"]), f"{v['percent']:.1f}%"]
        for code, v in by_risk.items()
    ]
    unrecorded = referrals.get("risk_category_not_recorded", 0)
    if unrecorded:
        risk_rows.append(["Not recorded", str(unrecorded), ""])
    story += section(
        "Referrals",
        [
            key_values(
                [
                    ("Received in the period", str(referrals["received"])),
                    ("Closed in the period", str(referrals["closed"])),
                    ("Open at the end of the period", str(referrals["open"])),
                ],
                s,
                label_width=70 * 2.83,
            ),
            Spacer(1, 6),
            text_flowable("Referrals received, by risk category at referral", s.h3),
            data_table(["Risk category", "Referrals", "Share"], risk_rows, s, shares=[80, 20, 20]),
            Spacer(1, 6),
            bar_chart([r[0] for r in risk_rows], [int(r[1]) for r in risk_rows]),
        ],
        s,
    )

    outcomes = figures["outcomes"]
    total_closed = sum(outcomes.values()) or 1
    story += section(
        "Outcomes at closure",
        [
            data_table(
                ["Outcome", "Closed", "Share"],
                [
                    [_label(Outcome, code), str(n), f"{100 * n / total_closed:.1f}%"]
                    for code, n in outcomes.items()
                ],
                s,
                shares=[80, 20, 20],
            ),
            Spacer(1, 6),
            bar_chart([_label(Outcome, c) for c in outcomes], list(outcomes.values())),
        ],
        s,
    )

    started = figures["placements_started"]
    if started:
        years = sorted(started)
        codes = [p.value for p in PlacementType]
        rows = [
            [_label(PlacementType, code)] + [str(started[y].get(code, 0)) for y in years]
            for code in codes
            if any(started[y].get(code, 0) for y in years)
        ]
        rows.append(
            ["Of which out of area"] + [str(started[y].get("out_of_area", 0)) for y in years]
        )
        placements_part: list[Flowable] = [
            text_flowable(
                "Placements started in the period, by financial year (April to March)", s.muted
            ),
            data_table(
                ["Placement type", *years],
                rows,
                s,
                shares=[60] + [20] * len(years),
                highlight=[len(rows) - 1],
            ),
        ]
    else:
        placements_part = [empty_note("No placements started in the period.", s)]
    story += section("Placements started", placements_part, s)

    story += section(
        "Cost",
        [
            key_values(
                [
                    (
                        "Full-year saving from placements ended",
                        _money(cost["full_year_saving_from_ended"]),
                    ),
                    ("Full-year cost of placements started", _money(cost["full_year_cost_of_new"])),
                    (
                        "Net full-year effect (cost of new less saving)",
                        _money(cost["net_full_year"]),
                    ),
                ],
                s,
                label_width=85 * 2.83,
            ),
            text_flowable(
                "Weekly cost × 52 of placements ended or started in the period; a negative net "
                "effect is a saving.",
                s.muted,
            ),
        ],
        s,
    )

    capacity = figures["capacity"]
    workers = capacity.get("workers", []) if isinstance(capacity, dict) else capacity
    over = [i for i, w in enumerate(workers) if w.get("over_cap")]
    capacity_part: list[Flowable] = (
        [
            text_flowable(
                "Young people open per worker against the caseload cap; workers over "
                "their cap are shaded.",
                s.muted,
            ),
            data_table(
                ["Worker", "Team", "Open", "Cap"],
                [
                    [w["worker"], w.get("team") or "–", str(w["open"]), str(w["cap"])]
                    for w in workers
                ],
                s,
                shares=[60, 40, 15, 15],
                highlight=over,
            ),
        ]
        if workers
        else [empty_note("No worker has open young people.", s)]
    )
    story += section("Capacity", capacity_part, s)
    return story


def build_service_report(
    store: Store,
    start: date,
    end: date,
    *,
    today: date | None = None,
    organisation: OrganisationSettings | None = None,
) -> tuple[bytes, dict[str, Any]]:
    """The report as PDF bytes and its figures, under ``organisation``'s name, logo, marking
    and caseload cap; audited."""
    today = today or date.today()
    organisation = organisation or OrganisationSettings()
    figures = figures_for(store, start, end, caseload_cap=organisation.caseload_cap)
    pdf = render_pdf(
        report_story(figures, _display_name(store), today, organisation),
        title="Service report",
        subject=f"{start.isoformat()} to {end.isoformat()}",
        author=store.user_name,
        footer=f"Service report · {start:%d %b %Y} to {end:%d %b %Y}",
        marking=organisation.marking,
    )
    with store.unit_of_work() as uow:
        uow.audit("service_report", detail={"from": start.isoformat(), "to": end.isoformat()})
        uow.commit()
    return pdf, figures


def save_figures(figures: dict[str, Any], path: Path) -> None:
    write_atomically(path, (json.dumps(figures, indent=2, ensure_ascii=False) + "\n").encode())
