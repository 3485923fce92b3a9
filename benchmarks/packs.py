"""Review pack speed, against a plain ReportLab document of the same text.

    .venv/bin/python benchmarks/packs.py [--quick]

Synthetic young people in a fresh encrypted store, each with a 5 Ps formulation, three goals
scored every two months and a year of contacts: 52, 208 and 832 of them (13, 52 and 208 with
--quick). For each, the median time to build the review pack (all sections), and the median
time ReportLab takes for a plain document of the same contact text (one font, no shaping, no
tables): the ratio is the cost of everything a pack adds (layout from templates, marking and
numbering, charts, Unicode fonts and shaping).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
TODAY = date(2026, 11, 20)
SENTENCES = [
    "Met at the youth hub after school and talked about the week.",
    "Said things at home have been calmer since the family meeting.",
    "We went through the safety plan together and updated who to call.",
    "School attendance is up this half term; two late marks only.",
    "Worried about older friends and where they go at weekends.",
    "Agreed to meet again on Thursday at the usual place.",
    "Carer said the evenings are easier when there is a plan for tea.",
    "Talked about what helps when feeling angry: music, walking, texting me.",
]


def _narrative(rng: random.Random) -> str:
    return " ".join(rng.choice(SENTENCES) for _ in range(rng.randint(5, 9)))


def build_store(folder: Path, counts: tuple[int, ...]):  # type: ignore[no-untyped-def]
    from keyworker_app.demo.practice_forms import _answers
    from keyworker_app.domain.vocabulary import ContactType, Role, ScoreStage
    from keyworker_app.forms.library import load_library
    from keyworker_app.store.caseload_store import Store
    from keyworker_app.store.form_responses import finalise_response, start_response
    from keyworker_app.store.models import Goal, Staff, Team, YoungPerson
    from keyworker_app.store.recording import score_goal
    from keyworker_app.store.unit_of_work import UnitOfWork  # noqa: F401 - the one write path

    store = Store.create(folder, os.urandom(32), user_name="bench.worker")
    rng = random.Random(11)
    with store.unit_of_work() as uow:
        team = Team(name="North Hub")
        uow.add(team)
        uow.session.flush()
        worker = Staff(
            user_name="bench.worker",
            display_name="Bench Worker",
            role=Role.KEYWORKER,
            team_id=team.id,
        )
        uow.add(worker)
        people = []
        for reference, given in ((f"PACK-{n}", "Maya") for n in counts):
            person = YoungPerson(
                reference=reference,
                given_name=given,
                family_name="Example",
                date_of_birth=date(2009, 4, 2),
                team_id=team.id,
                keyworker_id=worker.id,
            )
            uow.add(person)
            people.append(person)
        uow.commit()
    from keyworker_app.domain.vocabulary import RecordStatus
    from keyworker_app.store.models import Contact

    def contacts(person, count: int, every: timedelta) -> None:  # type: ignore[no-untyped-def]
        rows = []
        start = datetime.combine(TODAY, datetime.min.time(), UTC) - every * count
        for n in range(count):
            rows.append(
                {
                    "young_person_id": person.id,
                    "occurred_at": start + every * n,
                    "contact_type": ContactType.FACE_TO_FACE,
                    "narrative": _narrative(rng),
                    "purpose": "Keyworker session",
                    "location": "Youth hub",
                    "present": [person.given_name],
                    "worries": [],
                    "significant": False,
                    "status": RecordStatus.FINAL,
                    "author": "bench.worker",
                    "finalised_at": start + every * n,
                    "finalised_by": "bench.worker",
                }
            )
        with store.unit_of_work() as uow:
            uow.insert_many(Contact, rows)
            uow.commit()

    library = load_library()
    five_ps = library.latest("five_ps_formulation")

    def extras(person) -> None:  # type: ignore[no-untyped-def]
        """A 5 Ps formulation and three goals scored every two months."""
        response = start_response(
            store,
            five_ps,
            young_person_id=person.id,
            answers=_answers(rng, five_ps, TODAY, [worker.id]),
        )
        finalise_response(store, response.id)
        for n in range(3):
            with store.unit_of_work() as uow:
                goal = Goal(
                    young_person_id=person.id,
                    description=f"Goal {n + 1}: {SENTENCES[n]}",
                    set_on=TODAY - timedelta(days=360),
                )
                uow.add(goal)
                uow.commit()
            for month in range(0, 12, 2):
                score_goal(
                    store,
                    goal.id,
                    min(10, 2 + month // 2 + n),
                    ScoreStage.REVIEW,
                    TODAY - timedelta(days=360 - 30 * month),
                )

    for person, count in zip(people, counts, strict=True):
        contacts(person, count, timedelta(days=365) / count)
        extras(person)
    return store


def plain_document(store, reference: str) -> bytes:  # type: ignore[no-untyped-def]
    """The same contact text in the simplest ReportLab document."""
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate
    from sqlalchemy import select

    from keyworker_app.store.models import Contact, YoungPerson

    with store.reading() as session:
        person = session.scalars(
            select(YoungPerson).where(YoungPerson.reference == reference)
        ).one()
        rows = list(
            session.scalars(
                select(Contact)
                .where(Contact.young_person_id == person.id)
                .order_by(Contact.occurred_at)
            )
        )
    sheet = getSampleStyleSheet()
    story = []
    for c in rows:
        story.append(
            Paragraph(f"{c.occurred_at:%d %b %Y} {c.contact_type.label}", sheet["Heading3"])
        )
        story.append(Paragraph(c.narrative, sheet["BodyText"]))
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer).build(story)
    return buffer.getvalue()


def timed(fn, rounds: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    times, result = [], None
    for _ in range(rounds):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def figures(quick: bool) -> list:  # type: ignore[type-arg]
    """The review pack of a young person with a year of contacts, a formulation and three
    scored goals, at 1x, 4x and 16x the contacts (weekly, twice a week... in the year)."""
    from harness import Figure, scratch
    from pypdf import PdfReader

    from keyworker_app.reports.review_pack import PackRequest, build_review_pack

    base = 13 if quick else 52
    rounds = 1 if quick else 3
    counts = tuple(base * scale for scale in (1, 4, 16))
    folder = scratch("packs")
    store = build_store(folder / "data", counts)
    out = []
    try:
        for scale, count in zip((1, 4, 16), counts, strict=True):
            reference = f"PACK-{count}"
            request = PackRequest(reference=reference, start=TODAY - timedelta(days=400), end=TODAY)
            pack_s, pdf = timed(lambda r=request: build_review_pack(store, r, today=TODAY), rounds)
            plain_s, _ = timed(lambda ref=reference: plain_document(store, ref), rounds)
            pages = len(PdfReader(io.BytesIO(pdf)).pages)  # type: ignore[arg-type]
            out.append(
                Figure(
                    f"review pack, {count:,} contacts + formulation + 3 goals ({pages} pages)",
                    pack_s,
                    "s",
                    plain_s,
                    "plain ReportLab document of the same contact text",
                    group="reports",
                    scale=f"{scale}x",
                    detail="the cost of templates, marking, numbering, charts, Unicode fonts",
                )
            )
    finally:
        store.close()
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    from harness import table

    print(table(figures(args.quick)))


if __name__ == "__main__":
    main()
