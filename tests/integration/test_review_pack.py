"""Review packs read back from the PDF: marking and numbering on every page, the sections asked
for, third-party names withheld, encryption, non-Latin names, and an audit entry per pack."""

from __future__ import annotations

import io
import random
import re
import unicodedata
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import select, update

from keyworker_app.demo.practice_forms import _answers
from keyworker_app.domain.vocabulary import (
    ContactType,
    PlacementType,
    ScoreStage,
)
from keyworker_app.forms.library import load_library
from keyworker_app.reports.pack_sections import CODES, SECTIONS
from keyworker_app.reports.pdf_document import save_pdf
from keyworker_app.reports.review_pack import (
    PackError,
    PackRequest,
    build_review_pack,
    parse_sections,
)
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.form_responses import (
    finalise_response,
    revise,
    save_answers,
    start_response,
)
from keyworker_app.store.models import AuditEvent, FormResponse, Goal, Placement, YoungPerson
from keyworker_app.store.recording import ContactDetails, add_addendum, add_contact, score_goal

TODAY = date(2026, 11, 20)


def pages_text(pdf: bytes, password: str | None = None) -> list[str]:
    reader = PdfReader(io.BytesIO(pdf))
    if password is not None:
        reader.decrypt(password)
    # NFKC: ligatures (fi) and Arabic joined forms extract as presentation forms.
    return [unicodedata.normalize("NFKC", page.extract_text() or "") for page in reader.pages]


@pytest.fixture
def person(store: Store, young_person: YoungPerson, team_and_worker) -> YoungPerson:  # type: ignore[no-untyped-def]
    """A young person with an Arabic name and a year of records."""
    with store.unit_of_work() as uow:
        uow.session.execute(
            update(YoungPerson)
            .where(YoungPerson.id == young_person.id)
            .values(given_name="أميرة", family_name="الحسن", preferred_name="Amira")
        )
        uow.add(
            Placement(
                young_person_id=young_person.id,
                placement_type=PlacementType.IN_HOUSE_FOSTERING,
                provider="Oak Lodge",
                in_area=True,
                start_date=date(2026, 2, 1),
                weekly_cost_pence=95_000,
            )
        )
        goal = Goal(
            young_person_id=young_person.id,
            description="Go to school and see Sarah at weekends",
            set_on=date(2026, 3, 1),
        )
        uow.add(goal)
        uow.commit()
    for day, score in ((date(2026, 3, 1), 2), (date(2026, 6, 1), 5), (date(2026, 9, 1), 7)):
        score_goal(
            store, goal.id, score, ScoreStage.START if score == 2 else ScoreStage.REVIEW, day
        )
    visit = add_contact(
        store,
        young_person.id,
        ContactDetails(
            ContactType.HOME_VISIT,
            "Visited with Sarah Jones; Sarah said Amira slept well. مرحبا بكم",
            occurred_at=datetime(2026, 7, 1, 10, tzinfo=UTC),
            present=["Amira", "Mum (Sarah Jones)"],
        ),
        finalise=True,
    )
    add_addendum(store, visit.id, "Sarah Jones phoned afterwards.")
    add_contact(
        store,
        young_person.id,
        ContactDetails(
            ContactType.PHONE,
            "An old call before the period.",
            occurred_at=datetime(2025, 1, 5, 10, tzinfo=UTC),
        ),
        finalise=True,
    )
    library = load_library()
    rng = random.Random(4)
    five_ps = library.latest("five_ps_formulation")
    first = start_response(
        store,
        five_ps,
        young_person_id=young_person.id,
        answers=_answers(rng, five_ps, TODAY, [team_and_worker[1].id]),
    )
    first, _ = finalise_response(store, first.id)
    with store.unit_of_work(record_outbox=False) as uow:  # written long before the period
        uow.session.execute(
            update(FormResponse)
            .where(FormResponse.id == first.id)
            .values(finalised_at=datetime(2026, 1, 10, tzinfo=UTC))
        )
        uow.commit()
    second = revise(store, first.id)
    answers = dict(second.answers)
    long_field = next(f for f in five_ps.fields() if f.type.value == "long_text")
    answers[long_field.id] = "Rewritten after the deep dive: school is the protective factor."
    save_answers(store, second.id, answers)
    finalise_response(store, second.id)
    deep = library.latest("deep_dive_review")
    review = start_response(
        store,
        deep,
        young_person_id=young_person.id,
        answers=_answers(rng, deep, TODAY, [team_and_worker[1].id]),
    )
    finalise_response(store, review.id)
    return young_person


def pack(store: Store, **kwargs: object) -> bytes:
    request = PackRequest(reference="YP-0001", start=date(2026, 6, 1), end=TODAY, **kwargs)  # type: ignore[arg-type]
    return build_review_pack(store, request, today=TODAY)


def test_every_page_is_marked_and_numbered(store: Store, person: YoungPerson) -> None:
    texts = pages_text(pack(store))
    assert len(texts) >= 3
    for number, text in enumerate(texts, start=1):
        assert text.count("OFFICIAL-SENSITIVE") >= 2, number  # top and bottom
        assert f"Page {number} of {len(texts)}" in text


def test_the_pack_holds_the_sections_and_the_period(store: Store, person: YoungPerson) -> None:
    text = "\n".join(pages_text(pack(store)))
    for part in SECTIONS:
        assert part.title in text
    assert "Visited with Sarah Jones" in text
    assert "Sarah Jones phoned afterwards" in text  # the addendum with its contact
    assert "An old call before the period" not in text
    assert "Rewritten after the deep dive" in text  # what changed in the formulation
    assert "£950.00" in text
    assert "Go to school" in text


def test_only_the_chosen_sections_print(store: Store, person: YoungPerson) -> None:
    text = "\n".join(pages_text(pack(store, sections=parse_sections("summary,goals"))))
    assert "Summary" in text and "Goals" in text
    assert "Contacts" not in text and "Visited with" not in text
    with pytest.raises(PackError, match="no section called letters"):
        parse_sections("summary,letters")


# What each section shows of the person above, so a code built by another's builder fails.
SHOWS = {
    "summary": "Legal status",
    "chronology": "No significant events in this period.",
    "contacts": "Visited with Sarah Jones",
    "formulation": "What changed in the period",
    "deep_dives": "deep dive review",  # its heading, or none in the period (finalised today)
    "goals": "Go to school",
    "missing": "No missing episodes in this period.",
    "placements": "Oak Lodge",
    "safety_plan": "No safety plan has been finalised.",
    "actions": "overdue (shaded)",
}


def test_every_section_in_the_table_builds_alone(store: Store, person: YoungPerson) -> None:
    assert set(SHOWS) == set(CODES)
    titles = {part.title for part in SECTIONS}
    for part in SECTIONS:
        pages = pages_text(pack(store, sections=[part.code]))
        cover = pages[0].splitlines()
        body = [line for page in pages[1:] for line in page.splitlines()]
        assert cover[cover.index("Sections") + 1] == part.title, part.code
        assert body[0] == part.title, part.code  # the section starts the first page after
        assert titles & set(body) == {part.title}, part.code  # no other section's heading
        assert SHOWS[part.code].lower() in "\n".join(body[1:]).lower(), part.code
    with store.reading() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "review_pack"))
        assert [event.detail["sections"] for event in events] == [[code] for code in CODES]


def test_redaction_withholds_third_party_names(store: Store, person: YoungPerson) -> None:
    text = "\n".join(pages_text(pack(store, redact=True)))
    assert "Sarah" not in text and "Jones" not in text
    assert "[name withheld]" in text
    assert "Amira slept well" in text  # the young person's own name stays


def test_the_arabic_name_is_in_the_pdf_as_text(store: Store, person: YoungPerson) -> None:
    text = "\n".join(pages_text(pack(store)))
    flat = re.sub(r"\s+", " ", text)
    normal = flat  # joined (presentation) forms normalised back to the letters
    assert "أميرة" in normal  # each word's letters in reading order, never reversed
    assert "الحسن" in normal


def test_a_password_encrypts_with_aes_256(store: Store, person: YoungPerson, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "pack.pdf"
    save_pdf(pack(store), out, password="correct horse battery")
    reader = PdfReader(out)
    assert reader.is_encrypted
    assert reader.decrypt("wrong") == 0
    reader = PdfReader(out)
    assert reader.decrypt("correct horse battery") != 0
    assert reader.trailer["/Encrypt"]["/V"] == 5  # AES-256
    assert "OFFICIAL-SENSITIVE" in reader.pages[0].extract_text()


def test_every_pack_is_audited(store: Store, person: YoungPerson) -> None:
    pack(store, sections=parse_sections("summary,contacts"), redact=True)
    with store.reading() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "review_pack")).one()
    assert event.actor == "tester" and event.young_person_id == person.id
    assert event.detail["sections"] == ["summary", "contacts"]
    assert event.detail["redacted"] is True


def test_an_unknown_young_person_or_a_backwards_period_is_one_sentence(
    store: Store, person: YoungPerson
) -> None:
    from keyworker_app.store.recording import NotFound

    with pytest.raises(NotFound):
        build_review_pack(store, PackRequest(reference="NOPE"), today=TODAY)
    with pytest.raises(PackError, match="starts after it ends"):
        build_review_pack(
            store, PackRequest(reference="YP-0001", start=TODAY, end=date(2026, 1, 1)), today=TODAY
        )
