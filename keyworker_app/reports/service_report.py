"""The service report: a date range's figures for senior leaders and councillors, as the seed
reports show them (referrals by risk category, outcomes at closure, placements started by year
and type, the full-year cost effect of placements ended and started, worker capacity), as a PDF
with tables and charts and the same figures as JSON."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, PageBreak, Spacer
from sqlalchemy import select

from keyworker_app.atomic import write_atomically
from keyworker_app.domain.vocabulary import Outcome, PlacementType, RiskCategory, Vocabulary
from keyworker_app.organisation import OrganisationSettings
from keyworker_app.reports.charts import bar_chart
from keyworker_app.reports.pdf_document import (
    Styles,
    cover,
    data_table,
    empty_note,
    key_values,
    render_pdf,
    section,
    styles,
)
from keyworker_app.reports.pdf_text import text_flowable
from keyworker_app.reports.service_figures import (
    Capacity,
    CostFigures,
    OutcomeCount,
    PlacementYear,
    ReferralFigures,
    ServiceFigures,
    service_figures,
)
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.models import Staff

MAX_YEARS = 10
BLOCK_GAP = 6  # points, between a section's figures, table and chart


def _label(vocabulary: type[Vocabulary], code: str) -> str:
    try:
        return vocabulary(code).label
    except ValueError:
        return code


def _money(pence: int) -> str:
    pounds = pence / 100
    sign = "−" if pounds < 0 else ""
    return f"{sign}£{abs(pounds):,.0f}"


def figures_for(
    store: Store, start: date, end: date, *, caseload_cap: int | None = None
) -> ServiceFigures:
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
    with store.reading() as session:
        name = session.scalars(
            select(Staff.display_name).where(Staff.user_name == store.user_name)
        ).first()
    return name or store.user_name


def _cover(
    figures: ServiceFigures,
    prepared_by: str,
    today: date,
    s: Styles,
    organisation: OrganisationSettings | None,
) -> list[Flowable]:
    referrals = figures.referrals
    return cover(
        "Service report",
        [
            ("Period", f"{figures.start:%d %b %Y} to {figures.end:%d %b %Y}"),
            ("Referrals received", str(referrals.received)),
            ("Referrals closed", str(referrals.closed)),
            ("Open at the end", str(referrals.open)),
            ("Net full-year cost effect", _money(figures.cost.net_pence)),
            ("Prepared by", prepared_by),
            ("Date", f"{today:%d %b %Y}"),
        ],
        s,
        subtitle="Edge of care service",
        organisation=organisation,
    )


def _referrals(referrals: ReferralFigures, s: Styles) -> list[Flowable]:
    risk_rows = [
        [_label(RiskCategory, risk.code), str(risk.count), f"{risk.percent:.1f}%"]
        for risk in referrals.by_risk_category
    ]
    if referrals.risk_category_not_recorded:
        risk_rows.append(["Not recorded", str(referrals.risk_category_not_recorded), ""])
    return [
        key_values(
            [
                ("Received in the period", str(referrals.received)),
                ("Closed in the period", str(referrals.closed)),
                ("Open at the end of the period", str(referrals.open)),
            ],
            s,
            label_width=70 * mm,
        ),
        Spacer(1, BLOCK_GAP),
        text_flowable("Referrals received, by risk category at referral", s.h3),
        data_table(["Risk category", "Referrals", "Share"], risk_rows, s, shares=[80, 20, 20]),
        Spacer(1, BLOCK_GAP),
        bar_chart([r[0] for r in risk_rows], [int(r[1]) for r in risk_rows]),
    ]


def _outcomes(outcomes: tuple[OutcomeCount, ...], s: Styles) -> list[Flowable]:
    total_closed = sum(o.count for o in outcomes) or 1
    return [
        data_table(
            ["Outcome", "Closed", "Share"],
            [
                [_label(Outcome, o.code), str(o.count), f"{100 * o.count / total_closed:.1f}%"]
                for o in outcomes
            ],
            s,
            shares=[80, 20, 20],
        ),
        Spacer(1, BLOCK_GAP),
        bar_chart([_label(Outcome, o.code) for o in outcomes], [o.count for o in outcomes]),
    ]


def _placements(started: tuple[PlacementYear, ...], s: Styles) -> list[Flowable]:
    if not started:
        return [empty_note("No placements started in the period.", s)]
    years = sorted(started, key=lambda y: y.year)
    rows = [
        [_label(PlacementType, code)] + [str(y.count(code)) for y in years]
        for code in PlacementType.codes()
        if any(y.count(code) for y in years)
    ]
    rows.append(["Of which out of area"] + [str(y.out_of_area) for y in years])
    return [
        text_flowable(
            "Placements started in the period, by financial year (April to March)", s.muted
        ),
        data_table(
            ["Placement type", *(y.year for y in years)],
            rows,
            s,
            shares=[60] + [20] * len(years),
            highlight=[len(rows) - 1],
        ),
    ]


def _cost(cost: CostFigures, s: Styles) -> list[Flowable]:
    return [
        key_values(
            [
                (
                    "Full-year saving from placements ended",
                    _money(cost.saving_from_ended_pence),
                ),
                ("Full-year cost of placements started", _money(cost.cost_of_new_pence)),
                ("Net full-year effect (cost of new less saving)", _money(cost.net_pence)),
            ],
            s,
            label_width=85 * mm,
        ),
        text_flowable(
            "Weekly cost × 52 of placements ended or started in the period; a negative net "
            "effect is a saving.",
            s.muted,
        ),
    ]


def _capacity(capacity: Capacity, s: Styles) -> list[Flowable]:
    workers = capacity.workers
    if not workers:
        return [empty_note("No worker has open young people.", s)]
    return [
        text_flowable(
            "Young people open per worker against the caseload cap; workers over "
            "their cap are shaded.",
            s.muted,
        ),
        data_table(
            ["Worker", "Team", "Open", "Cap"],
            [[w.worker, w.team or "–", str(w.open), str(w.cap)] for w in workers],
            s,
            shares=[60, 40, 15, 15],
            highlight=[i for i, w in enumerate(workers) if w.over_cap],
        ),
    ]


def report_story(
    figures: ServiceFigures,
    prepared_by: str,
    today: date,
    organisation: OrganisationSettings | None = None,
) -> list[Flowable]:
    s = styles()
    story = _cover(figures, prepared_by, today, s, organisation)
    story.append(PageBreak())
    story += section("Referrals", _referrals(figures.referrals, s), s)
    story += section("Outcomes at closure", _outcomes(figures.outcomes, s), s)
    story += section("Placements started", _placements(figures.placements_started, s), s)
    story += section("Cost", _cost(figures.cost, s), s)
    story += section("Capacity", _capacity(figures.capacity, s), s)
    return story


def build_service_report(
    store: Store,
    start: date,
    end: date,
    *,
    today: date | None = None,
    organisation: OrganisationSettings | None = None,
) -> tuple[bytes, ServiceFigures]:
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


def save_figures(figures: ServiceFigures, path: Path) -> None:
    """The figures as JSON at ``path``, written atomically: ``ServiceFigures.as_json()``."""
    text = json.dumps(figures.as_json(), indent=2, ensure_ascii=False) + "\n"
    write_atomically(path, text.encode())
