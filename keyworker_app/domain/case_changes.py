"""What one young person's spreadsheet rows mean for what a store already holds: create them or
update these fields, add or update this referral, add these placements or update those, close
or reopen the case. The laptop's import and the central store's import both apply this one
decision, each to its own records, so one file means the same everywhere.

Pure: the store describes what it holds as plain values (``ExistingCase``), and the changes
come back under the records' own field names, with the store's keys for records it already
has. Rules (those of the README's "Spreadsheet import"):

- A blank cell never clears anything; only values that differ are set, so importing a file
  again changes nothing.
- A referral is the one with the row's referral date; a row without a referral date describes
  the latest referral (for a young person with none, it starts their first).
- A placement is the one with the row's type and start date; a later end date, cost or area
  updates it. Rows repeating a placement add it once (a later row's filled cells win).
- A closed date closes the case. A closed case is reopened by a new referral dated after every
  referral it had; an older referral found later does not reopen it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from keyworker_app.domain.caseload_csv import CaseImport, PlacementImport, ReferralImport
from keyworker_app.domain.vocabulary import (
    CaseStatus,
    LegalStatus,
    Outcome,
    PlacementType,
    RiskCategory,
)

# A change's values by the record's field name (the same on the laptop and centrally), as
# Python values (dates, vocabulary members); each store turns them into its own form.
Fields = Mapping[str, object]


@dataclass(frozen=True)
class ExistingReferral:
    key: str  # the store's id for it
    referral_date: date | None
    source: str | None = None
    risk_category: RiskCategory | None = None
    closed_date: date | None = None
    outcome: Outcome | None = None


@dataclass(frozen=True)
class ExistingPlacement:
    key: str  # the store's id for it
    placement_type: PlacementType
    start_date: date
    end_date: date | None = None
    weekly_cost_pence: int | None = None
    in_area: bool | None = None


@dataclass(frozen=True)
class ExistingCase:
    """What a store holds for one young person (its referrals and placements not deleted).
    ``team_id`` and ``keyworker_id`` are the store's own ids."""

    given_name: str
    family_name: str
    date_of_birth: date
    status: CaseStatus = CaseStatus.OPEN
    school: str | None = None
    uasc: bool | None = None
    legal_status: LegalStatus | None = None
    team_id: str | None = None
    keyworker_id: str | None = None
    referrals: tuple[ExistingReferral, ...] = ()
    placements: tuple[ExistingPlacement, ...] = ()


@dataclass(frozen=True)
class ReferralChange:
    """Add a referral (``key`` None, with ``referral_date`` and ``fields``) or set ``fields``
    on the store's referral ``key``."""

    key: str | None
    referral_date: date | None
    fields: Fields = field(default_factory=dict)


@dataclass(frozen=True)
class PlacementChange:
    """Add a placement (``key`` None) or set ``fields`` (end_date, weekly_cost_pence,
    in_area) on the store's placement ``key``."""

    key: str | None
    placement_type: PlacementType
    start_date: date
    fields: Fields = field(default_factory=dict)


@dataclass(frozen=True)
class CaseChanges:
    """What one case's rows mean. For a new young person ``person`` holds every value the
    rows give (status always); for one the store has, only the fields that change."""

    new: bool
    person: Fields = field(default_factory=dict)
    referral: ReferralChange | None = None
    placements: tuple[PlacementChange, ...] = ()

    @property
    def changes_anything(self) -> bool:
        return self.new or bool(self.person or self.referral or self.placements)

    @property
    def status(self) -> CaseStatus | None:
        """CLOSED when the rows close the case, OPEN when they reopen (or start) it."""
        status = self.person.get("status")
        return status if isinstance(status, CaseStatus) else None


def changes_for(
    case: CaseImport,
    existing: ExistingCase | None,
    *,
    team_id: str | None = None,
    keyworker_id: str | None = None,
) -> CaseChanges:
    """What ``case`` means given what the store holds for its reference (None: nothing).
    ``team_id`` and ``keyworker_id`` are the store's ids for the rows' team and keyworker
    (None when the rows leave them blank)."""
    details = case.person
    wanted: dict[str, object] = {
        "given_name": details.given_name,
        "family_name": details.family_name,
        "date_of_birth": details.date_of_birth,
        "school": details.school,
        "uasc": details.uasc,
        "legal_status": details.legal_status,
        "team_id": team_id,
        "keyworker_id": keyworker_id,
        "status": _status(case.referral, existing),
    }
    referrals = existing.referrals if existing else ()
    placements = existing.placements if existing else ()
    return CaseChanges(
        new=existing is None,
        person=_changed(wanted, existing),
        referral=_referral_change(case.referral, referrals),
        placements=_placement_changes(case.placements, placements),
    )


def _changed(wanted: Mapping[str, object], existing: object | None) -> dict[str, object]:
    """The values given (not blank) that differ from ``existing``'s (all of them for none)."""
    return {
        name: value
        for name, value in wanted.items()
        if value is not None and (existing is None or getattr(existing, name) != value)
    }


def latest_referral(referrals: Sequence[ExistingReferral]) -> ExistingReferral | None:
    """The referral with the latest date (an undated one only when none has a date)."""
    dated = sorted(
        referrals, key=lambda r: (r.referral_date is not None, r.referral_date or date.min)
    )
    return dated[-1] if dated else None


def matching_referral(
    wanted: ReferralImport, existing: Sequence[ExistingReferral]
) -> ExistingReferral | None:
    """The referral a row describes: the one with its referral date, or without a date the
    latest (none for a young person without referrals: the row starts their first)."""
    if wanted.referral_date is None:
        return latest_referral(existing)
    return next((r for r in existing if r.referral_date == wanted.referral_date), None)


def _status(wanted: ReferralImport | None, existing: ExistingCase | None) -> CaseStatus | None:
    """A closed date closes the case; a new referral later than every other reopens it."""
    if wanted is not None and wanted.closed_date is not None:
        return CaseStatus.CLOSED
    if existing is None:
        return CaseStatus.OPEN
    if (
        wanted is None
        or existing.status != CaseStatus.CLOSED
        or matching_referral(wanted, existing.referrals) is not None
    ):
        return None
    latest = latest_referral(existing.referrals)
    day = wanted.referral_date
    if day is not None and (
        latest is None or latest.referral_date is None or day > latest.referral_date
    ):
        return CaseStatus.OPEN
    return None


def _referral_change(
    wanted: ReferralImport | None, existing: Sequence[ExistingReferral]
) -> ReferralChange | None:
    if wanted is None:
        return None
    values = {
        "source": wanted.source,
        "risk_category": wanted.risk_category,
        "closed_date": wanted.closed_date,
        "outcome": wanted.outcome,
    }
    match = matching_referral(wanted, existing)
    if match is None:
        return ReferralChange(None, wanted.referral_date, _changed(values, None))
    fields = _changed(values, match)
    return ReferralChange(match.key, match.referral_date, fields) if fields else None


def _placement_changes(
    rows: Sequence[PlacementImport], existing: Sequence[ExistingPlacement]
) -> tuple[PlacementChange, ...]:
    known: dict[tuple[PlacementType, date], ExistingPlacement] = {}
    for placement in existing:
        known.setdefault((placement.placement_type, placement.start_date), placement)
    # Each placement's values over every row that names it, in the order first named.
    given: dict[tuple[PlacementType, date], dict[str, object]] = {}
    for row in rows:
        values: dict[str, object] = {
            "end_date": row.end,
            "weekly_cost_pence": row.weekly_cost_pence,
            "in_area": row.in_area,
        }
        given.setdefault((row.placement_type, row.start), {}).update(_changed(values, None))
    changes = []
    for (placement_type, start), filled in given.items():
        match = known.get((placement_type, start))
        if match is None:
            changes.append(PlacementChange(None, placement_type, start, filled))
        elif fields := _changed(filled, match):
            changes.append(PlacementChange(match.key, placement_type, start, fields))
    return tuple(changes)
