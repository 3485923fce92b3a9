"""The sections laid out from form templates: the formulation (with what changed in the
period), deep dive reviews (with the actions they set) and the safety plan. Each form is laid
out from its definition through ``forms.print_layout``, never by hand per template."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reportlab.platypus import Flowable, TableStyle

from keyworker_app.forms.compare import compare
from keyworker_app.forms.print_layout import print_blocks
from keyworker_app.forms.schema import TemplateDef
from keyworker_app.reports.pdf_document import (
    CONTENT_WIDTH,
    HAIRLINE,
    RULE,
    SplittingTable,
    Styles,
    data_table,
    empty_note,
    heading,
)
from keyworker_app.reports.pdf_text import text_flowable
from keyworker_app.reports.redaction import Redactor
from keyworker_app.reports.sections.context import PackContext, PackForm, day
from keyworker_app.reports.sections.plans import actions_table

DEEP_DIVE = "deep_dive_review"
SAFETY_PLAN = "safety_plan"
FORM_CELL_PADDING = 3  # points, above and below each answer


def _form_table(rows: list[list[Any]], spans: list[tuple[Any, ...]]) -> Flowable:
    table = SplittingTable(rows, colWidths=[CONTENT_WIDTH / 2] * 2)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), HAIRLINE, RULE),
                ("TOPPADDING", (0, 0), (-1, -1), FORM_CELL_PADDING),
                ("BOTTOMPADDING", (0, 0), (-1, -1), FORM_CELL_PADDING),
                *spans,
            ]
        )
    )
    return table


def form_flowables(
    template: TemplateDef,
    answers: dict[str, Any],
    staff_names: dict[str, str],
    s: Styles,
    redact: Redactor,
) -> list[Flowable]:
    """A filled form laid out from its template: each section, its rows full or half width."""
    out: list[Flowable] = []
    for block in print_blocks(template, answers, staff_names):
        out.append(heading(block.title, s.h3))
        rows: list[list[Any]] = []
        spans: list[tuple[Any, ...]] = []
        pending_half: list[Flowable] | None = None
        for row in block.rows:
            cell = [
                text_flowable(row.label, s.cell_bold),
                text_flowable(redact.text(row.text) or "–", s.cell),
            ]
            if row.width == "half":
                if pending_half is None:
                    pending_half = cell
                    continue
                rows.append([pending_half, cell])
                pending_half = None
                continue
            if pending_half is not None:
                rows.append([pending_half, []])
                pending_half = None
            spans.append(("SPAN", (0, len(rows)), (1, len(rows))))
            rows.append([cell, ""])
        if pending_half is not None:
            rows.append([pending_half, []])
        if rows:
            out.append(_form_table(rows, spans))
    return out


def _form(pack: PackContext, form: PackForm) -> list[Flowable]:
    return form_flowables(
        form.template, form.response.answers, pack.record.staff_names, pack.styles, pack.redact
    )


def _changes(pack: PackContext, current: PackForm) -> list[Flowable]:
    """What changed in the formulation since the last revision finalised before the period."""
    s = pack.styles
    start = pack.period[0]
    before = [
        (response, template)
        for response, template in zip(current.chain, current.chain_templates, strict=True)
        if response.finalised_at is not None and response.finalised_at.date() < start
    ]
    if current.response.finalised_at and current.response.finalised_at.date() < start:
        return [empty_note("Not revised in this period.", s)]
    if not before:
        return [empty_note("First written in this period.", s)]
    old, old_template = before[-1]
    changes = [
        c
        for c in compare(
            old_template,
            old.answers,
            current.template,
            current.response.answers,
            pack.record.staff_names,
        )
        if c.change != "same"
    ]
    if not changes:
        return [empty_note("Revised in the period without changes to the text.", s)]
    return [
        data_table(
            ["Field", f"At {day(old.finalised_at)}", "Now"],
            [
                [
                    f"{c.section}: {c.label}",
                    pack.redact.text(c.before),
                    pack.redact.text(c.after),
                ]
                for c in changes
            ],
            s,
            shares=[30, 50, 50],
        )
    ]


def formulation(pack: PackContext) -> list[Flowable]:
    s = pack.styles
    current = pack.latest(lambda f: f.template.revisable)
    if current is None:
        return [empty_note("No formulation has been finalised.", s)]
    return [
        text_flowable(
            f"{current.template.title}, revision {current.response.revision_number}, "
            f"finalised {day(current.response.finalised_at)}"
            f"{pack.by(current.response.author)}.",
            s.muted,
        ),
        *_form(pack, current),
        heading("What changed in the period", s.h2),
        *_changes(pack, current),
    ]


def deep_dives(pack: PackContext) -> list[Flowable]:
    s = pack.styles
    reviews = [
        f
        for f in pack.forms
        if f.response.template_id == DEEP_DIVE and pack.within(f.response.finalised_at)
    ]
    if not reviews:
        return [empty_note("No deep dive review in this period.", s)]
    out: list[Flowable] = []
    for review in sorted(reviews, key=lambda f: f.response.finalised_at or datetime.min):
        out.append(heading(f"{review.template.title}, {day(review.response.finalised_at)}", s.h2))
        out += _form(pack, review)
        actions = [a for a in pack.record.actions if a.source_id == review.response.id]
        if actions:
            out.append(heading("Actions from this review", s.h3))
            out.append(actions_table(pack, actions))
    return out


def safety_plan(pack: PackContext) -> list[Flowable]:
    plan = pack.latest(lambda f: f.response.template_id == SAFETY_PLAN)
    if plan is None:
        return [empty_note("No safety plan has been finalised.", pack.styles)]
    return [
        text_flowable(
            f"Finalised {day(plan.response.finalised_at)}{pack.by(plan.response.author)}.",
            pack.styles.muted,
        ),
        *_form(pack, plan),
    ]
