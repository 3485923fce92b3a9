"""Review pack speed for one very long contact note, against a plain ReportLab document of the
same text.

    .venv/bin/python benchmarks/long_notes.py [--quick]

A young person in a fresh encrypted store with one finalised contact whose note has 1,000, 5,000
and 10,000 lines (200, 1,000 and 2,000 with --quick): paragraphs of sentences, some lines long
enough to wrap, a blank line between paragraphs; the same again with an Arabic line in every 20
(the note then goes through bidi ordering and HarfBuzz shaping). For each, the median time to
build the whole review pack, beside the median time ReportLab takes to print the same lines the
simplest honest way: one Paragraph per line in Helvetica, no shaping, no tables. (Not the whole
note as one Paragraph: ReportLab splits a paragraph at each page break by breaking its remaining
lines again, so that baseline would itself grow with the square of the note and flatter us.)

The growth figures divide the time for the longest note by the time for the one half its
length: a pack whose time grows with the note, as the plain document's does, has a ratio near 1
(before issue 15 it was near 2, and a 10,000-line note took minutes).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

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
]
ARABIC = "قال إن الأمور في البيت أهدأ منذ اجتماع العائلة، واتفقنا على اللقاء يوم الخميس."


def note(lines: int, *, arabic: bool) -> str:
    """A note of ``lines`` lines: lines of one or two sentences, a blank line between
    paragraphs of about a dozen lines, and with ``arabic`` an Arabic line in every 20."""
    rng = random.Random(lines)
    out = []
    for n in range(lines):
        if n % 12 == 11:
            out.append("")
        elif arabic and n % 20 == 7:
            out.append(ARABIC)
        else:
            out.append(" ".join(rng.choice(SENTENCES) for _ in range(rng.choice((1, 1, 1, 2)))))
    return "\n".join(out)


def build_store(folder: Path, notes: dict[str, str]):  # type: ignore[no-untyped-def]
    """A store with one young person per note (by reference), each with that one contact."""
    from keyworker_app.domain.vocabulary import ContactType, Role
    from keyworker_app.store.caseload_store import Store
    from keyworker_app.store.models import Staff, Team, YoungPerson
    from keyworker_app.store.recording import ContactDetails, add_contact

    store = Store.create(folder, os.urandom(32), user_name="bench.worker")
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
        people = {}
        for reference in notes:
            people[reference] = YoungPerson(
                reference=reference,
                given_name="Maya",
                family_name="Example",
                date_of_birth=date(2009, 4, 2),
                team_id=team.id,
                keyworker_id=worker.id,
            )
            uow.add(people[reference])
        uow.commit()
    for reference, text in notes.items():
        add_contact(
            store,
            people[reference].id,
            ContactDetails(
                ContactType.FACE_TO_FACE, text, occurred_at=datetime(2026, 7, 1, 10, tzinfo=UTC)
            ),
            finalise=True,
        )
    return store


def plain_document(text: str) -> bytes:
    """The same lines in the simplest honest ReportLab document."""
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    body = getSampleStyleSheet()["Normal"]
    story = [
        Paragraph(escape(line), body) if line.strip() else Spacer(1, body.leading)
        for line in text.split("\n")
    ]
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer).build(story)
    return buffer.getvalue()


def figures(quick: bool) -> list:  # type: ignore[type-arg]
    from harness import Figure, scratch, timed
    from pypdf import PdfReader

    from keyworker_app.reports.review_pack import PackRequest, build_review_pack

    sizes = (200, 1_000, 2_000) if quick else (1_000, 5_000, 10_000)
    rounds = 1 if quick else 3
    kinds = {"": False, " with Arabic": True}
    notes = {
        f"NOTE-{size}{'-AR' if arabic else ''}": note(size, arabic=arabic)
        for arabic in kinds.values()
        for size in sizes
    }
    folder = scratch("long-notes")
    store = build_store(folder / "data", notes)
    out = []
    try:
        for label, arabic in kinds.items():
            times: dict[int, tuple[float, float]] = {}
            for size in sizes:
                reference = f"NOTE-{size}{'-AR' if arabic else ''}"
                request = PackRequest(
                    reference=reference, start=TODAY - timedelta(days=365), end=TODAY
                )
                pack_s, pdf = timed(
                    lambda r=request: build_review_pack(store, r, today=TODAY), rounds
                )
                plain_s, _ = timed(lambda t=notes[reference]: plain_document(t), rounds)
                times[size] = (pack_s, plain_s)
                pages = len(PdfReader(io.BytesIO(pdf)).pages)  # type: ignore[arg-type]
                out.append(
                    Figure(
                        f"review pack, one note of {size:,} lines{label} ({pages} pages)",
                        pack_s,
                        "s",
                        plain_s,
                        "plain ReportLab document of the same lines",
                        group="long notes",
                        scale=f"{size // sizes[0]}x",
                        detail="fonts per script, shaping and bidi, marking and numbering",
                    )
                )
            half, longest = times[sizes[-2]], times[sizes[-1]]  # the longest is twice as long
            out.append(
                Figure(
                    f"growth, note of {sizes[-2]:,} to {sizes[-1]:,} lines{label}",
                    longest[0] / half[0],
                    "x",
                    longest[1] / half[1],
                    "the plain document's growth",
                    aim=1.3,
                    group="long notes",
                    detail="time for twice the note over time for the note; linear is 2",
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
