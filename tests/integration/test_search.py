"""Full-text search inside the encrypted store."""

from __future__ import annotations

from datetime import UTC, date, datetime

from keyworker_app.domain.vocabulary import ContactType
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.models import FormResponse, YoungPerson
from keyworker_app.store.recording import (
    ContactDetails,
    add_addendum,
    add_contact,
    finalise_contact,
    save_draft,
)
from keyworker_app.store.search import fts_query, search


def note(store: Store, person: YoungPerson, text: str, day: int = 1) -> str:
    contact = add_contact(
        store,
        person.id,
        ContactDetails(
            ContactType.HOME_VISIT, text, occurred_at=datetime(2026, 2, day, tzinfo=UTC)
        ),
    )
    return contact.id


def find(store: Store, text: str, **kwargs: object) -> list:  # type: ignore[type-arg]
    with store.reading() as session:
        return search(session, text, **kwargs)  # type: ignore[arg-type]


def test_finds_narratives_with_young_person_date_and_snippet(
    store: Store, young_person: YoungPerson
) -> None:
    note(store, young_person, "We talked about the quokka drawing she did at college.", day=3)
    note(store, young_person, "Football practice was cancelled.", day=4)
    hits = find(store, "quokka")
    assert len(hits) == 1
    hit = hits[0]
    assert hit.reference == "YP-0001" and hit.name == "Amani Tesfaye"
    assert hit.occurred == datetime(2026, 2, 3, tzinfo=UTC)
    assert "[quokka]" in hit.snippet


def test_matches_as_you_type_and_ignores_accents_and_case(
    store: Store, young_person: YoungPerson
) -> None:
    note(store, young_person, "Siân came to the hub with her cousin.")
    assert len(find(store, "sian")) == 1
    assert len(find(store, "SIÂN")) == 1
    assert len(find(store, "cous")) == 1
    assert find(store, "cousins") == []


def test_every_word_must_match(store: Store, young_person: YoungPerson) -> None:
    note(store, young_person, "Went bowling with her foster carer.")
    note(store, young_person, "Bowling alley was closed.", day=2)
    assert len(find(store, "bowling")) == 2
    assert len(find(store, "bowling carer")) == 1


def test_query_syntax_in_the_input_is_plain_text(store: Store, young_person: YoungPerson) -> None:
    note(store, young_person, 'She said "NOT tonight" AND left (early).')
    for text in ['"NOT', "AND (", "left)", "NEAR(", "*", "''", "-early"]:
        find(store, text)  # never raises
    assert fts_query("  ") is None
    assert len(find(store, '"not tonight"')) == 1


def test_edits_addenda_and_form_answers_are_searchable(
    store: Store, young_person: YoungPerson
) -> None:
    contact_id = note(store, young_person, "First draft about swimming.")
    save_draft(
        store,
        contact_id,
        ContactDetails(
            ContactType.HOME_VISIT,
            "Rewritten about climbing.",
            occurred_at=datetime(2026, 2, 1, tzinfo=UTC),
        ),
    )
    assert find(store, "swimming") == []
    assert len(find(store, "climbing")) == 1
    finalise_contact(store, contact_id)
    add_addendum(store, contact_id, "Addendum: the climbing wall is in Wrexham.")
    kinds = {h.record_type for h in find(store, "wrexham")}
    assert kinds == {"addendum"}
    with store.unit_of_work() as uow:
        uow.add(
            FormResponse(
                young_person_id=young_person.id,
                template_id="five_ps_formulation",
                template_version=1,
                answers={
                    "perpetuating": "Sleeping at friends' houses",
                    "protective": ["loves art", "nan"],
                },
            )
        )
        uow.commit()
    assert [h.record_type for h in find(store, "sleeping friends")] == ["form_response"]


def test_results_can_be_limited_to_the_young_people_a_user_may_see(
    store: Store, young_person: YoungPerson
) -> None:
    with store.unit_of_work() as uow:
        other = YoungPerson(
            reference="YP-0002",
            given_name="Jakub",
            family_name="Nowak",
            date_of_birth=date(2010, 1, 1),
        )
        uow.add(other)
        uow.commit()
    note(store, young_person, "trampoline park")
    note(store, other, "trampoline park again")
    assert len(find(store, "trampoline")) == 2
    assert [h.reference for h in find(store, "trampoline", young_person_ids=[other.id])] == [
        "YP-0002"
    ]
    assert find(store, "trampoline", young_person_ids=[]) == []
