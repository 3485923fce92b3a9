"""The summary section: who the young person is, where they live, who works with them, the
risks on the record and why they were referred."""

from __future__ import annotations

from reportlab.platypus import Flowable

from keyworker_app.reports.pdf_document import key_values
from keyworker_app.reports.sections.context import PackContext, day


def _risks(pack: PackContext) -> str:
    r, p = pack.record, pack.record.person
    flags = [
        text
        for text, on in (
            ("Missing from home in the last 90 days", r.missing_risk),
            (
                "Exploitation concern at a missing episode",
                any(m.exploitation_concern for m in r.missing_episodes),
            ),
            ("Unaccompanied asylum-seeking child", p.uasc),
            ("Restricted record", p.restricted),
        )
        if on
    ]
    return "; ".join(flags) if flags else "None recorded"


def summary(pack: PackContext) -> list[Flowable]:
    r, p = pack.record, pack.record.person
    placement = r.current_placement
    referral = r.referral
    rows = [
        ("Legal status", p.legal_status.label if p.legal_status else "–"),
        (
            "Placement",
            f"{placement.placement_type.label}"
            + (f" — {placement.provider}" if placement.provider else "")
            + f", since {day(placement.start_date)}"
            if placement
            else "–",
        ),
        ("Keyworker", r.keyworker.display_name if r.keyworker else "–"),
        ("Team", r.team.name if r.team else "–"),
        ("School", p.school),
        ("First language", p.first_language),
        ("Risks", _risks(pack)),
        ("Referred", day(referral.referral_date) if referral else "–"),
        (
            "Risk category",
            referral.risk_category.label if referral and referral.risk_category else "–",
        ),
        ("Referral reason", pack.redact.text(referral.reason) if referral else "–"),
    ]
    return [key_values(rows, pack.styles)]
