"""Contact notes for one young person, assembled from the word lists' fragments.

A note is an opener fitting the kind of contact, a few sentences about what this young person's
work is about (their themes), how they seemed, sometimes their own words, and what happens next,
so thousands of notes read differently but each case reads as one story.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from keyworker_app.demo.casefile import HOME_TYPES, CasePlan, PlacementPlan
from keyworker_app.demo.people import weighted
from keyworker_app.demo.wordlists import SignificantEvent, Theme, WordLists
from keyworker_app.domain.vocabulary import ContactType, Gender, PlacementType, Worry

C = ContactType
P = PlacementType
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
FULL_TYPES = frozenset(
    {C.FACE_TO_FACE, C.HOME_VISIT, C.PLACEMENT_VISIT, C.SCHOOL_VISIT, C.GROUP_ACTIVITY}
)
SHORT_TYPES = frozenset({C.PHONE, C.VIDEO_CALL, C.MESSAGE, C.ATTEMPTED})
_SIGNIFICANT_TYPES = FULL_TYPES | {C.FAMILY_MEETING, C.PROFESSIONALS_MEETING, C.PHONE}
_DURATIONS = {
    C.FACE_TO_FACE: (45, 180), C.HOME_VISIT: (45, 120), C.PLACEMENT_VISIT: (45, 120),
    C.SCHOOL_VISIT: (30, 75), C.PHONE: (5, 40), C.VIDEO_CALL: (15, 45), C.MESSAGE: (2, 10),
    C.GROUP_ACTIVITY: (90, 180), C.FAMILY_MEETING: (60, 120), C.PROFESSIONALS_MEETING: (45, 120),
    C.ATTEMPTED: (10, 30),
}  # fmt: skip
_QUOTES = (
    'When we talked about it, {name} said: "{quote}"',
    '{name} said: "{quote}"',
    'In {his} own words: "{quote}"',
    'I asked {name} how things were going. "{quote}"',
)
_PROFESSIONALS = (
    "School (designated safeguarding lead)",
    "Police (PC, missing team)",
    "School nurse",
    "Independent reviewing officer",
    "YJS worker",
    "CAMHS",
)
_WORSHIP = {"Tigrinya": "church", "Amharic": "church", "Vietnamese": "the temple"}
_PRONOUNS = {Gender.MALE: ("he", "his", "him"), Gender.FEMALE: ("she", "her", "her")}


@dataclass(frozen=True)
class ContactText:
    contact_type: ContactType
    minutes_after_midnight: int
    duration_minutes: int | None
    location: str
    present: list[str]
    purpose: str
    narrative: str
    own_words: str | None
    worries: list[str]
    significant: bool


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


class NoteWriter:
    """Writes the contacts of one case; every choice comes from the case's shared ``rng``."""

    def __init__(self, rng: random.Random, words: WordLists, plan: CasePlan) -> None:
        self.rng = rng
        self.words = words
        self.plan = plan
        self.notes = words.notes
        identity = plan.identity
        he, his, him = _PRONOUNS.get(identity.gender, (identity.spoken_name, "their", "them"))
        schools = words.places.schools
        self.base = {
            "name": identity.spoken_name,
            "he": he,
            "his": his,
            "him": him,
            "sw": plan.social_worker,
            "club": plan.club,
            "parent": plan.parent,
            "sibling": plan.sibling,
            "lang": identity.first_language,
            "worship": _WORSHIP.get(identity.first_language, "the mosque"),
        }
        self.not_in_school = set(words.places.not_in_education)
        # Young people now at college were at school earlier in the case.
        self.school_then = plan.school if plan.school in schools else rng.choice(schools)
        self.themes = [words.themes[k] for k in plan.themes]
        age = plan.age_on(plan.referral_date)
        self.other_themes = [
            t for t in words.themes.values() if t.min_age <= age and t.uasc_only == identity.uasc
        ]

    # -- shared helpers ---------------------------------------------------------------------
    def context(self, day: date) -> dict[str, str]:
        placement = self.plan.placement_on(day)
        rng = self.rng
        return {
            **self.base,
            "home": _home_phrase(placement),
            "carer": placement.carer.split(" (")[0] if placement.carer != "staff" else "staff",
            "school": self.school_on(day),
            "weekday": WEEKDAYS[day.weekday()],
            "day": rng.choice(WEEKDAYS),
            "place": rng.choice(self.words.places.community),
            "group": rng.choice(self.words.places.groups),
        }

    def school_on(self, day: date) -> str:
        """The school or college notes name on ``day`` (the hub for those not in education)."""
        if self.plan.age_on(day) < 16:
            return self.school_then
        school = self.plan.school
        return school if school and school not in self.not_in_school else "the hub"

    def fill(self, template: str, ctx: dict[str, str]) -> str:
        return _sentence(template.format_map(ctx))

    def pick_theme(self) -> Theme:
        if self.rng.random() < 0.85:
            return self.rng.choice(self.themes)
        return self.rng.choice(self.other_themes)

    # -- one contact ------------------------------------------------------------------------
    def contact(self, day: date, *, missing_since_last: bool, early: bool) -> ContactText:
        """A contact on ``day``; ``missing_since_last`` when a missing episode ended since the
        previous contact, ``early`` in the first weeks of the work."""
        rng = self.rng
        ctx = self.context(day)
        kind = self._contact_type(day)
        minutes = self._time_of_day(kind, day)
        low, high = _DURATIONS[kind]
        duration = None if kind == C.MESSAGE and rng.random() < 0.5 else rng.randint(low, high)
        significant = kind in _SIGNIFICANT_TYPES and rng.random() < 0.1
        worries: list[Worry] = []
        paragraphs, own_words = self._body(kind, ctx, worries, missing=missing_since_last)
        purpose = rng.choice(self.notes["purposes"][kind.value])
        if significant:
            event = rng.choice(self._significant_events(day))
            paragraphs.insert(1, [self.fill(event.sentence, ctx)])
            purpose = event.purpose
            if event.worry is not None:
                worries.append(event.worry)
        present = self._present(kind, day, ctx)
        if (
            self.plan.identity.uasc
            and kind in FULL_TYPES
            and rng.random() < (0.7 if early else 0.2)
        ):
            interpreter = self.plan.identity.interpreter
            present.append(f"Interpreter ({interpreter}, by phone)")
            paragraphs[0].append(f"An interpreter ({interpreter}) joined by phone.")
        return ContactText(
            contact_type=kind,
            minutes_after_midnight=minutes,
            duration_minutes=duration,
            location=self._location(kind, day, ctx, paragraphs[0][0]),
            present=present,
            purpose=purpose,
            narrative="\n\n".join(" ".join(p) for p in paragraphs if p),
            own_words=own_words,
            worries=list(dict.fromkeys(w.value for w in worries)),
            significant=significant,
        )

    def _significant_events(self, day: date) -> list[SignificantEvent]:
        """Events that fit where the young person lives (no "return home" for one at home)."""
        if self.plan.identity.uasc:
            return [e for e in self.words.significant if e.where is None]
        at_home = self.plan.placement_on(day).placement_type in HOME_TYPES
        where = "home" if at_home else "care"
        return [e for e in self.words.significant if e.where in (None, where)]

    def _contact_type(self, day: date) -> ContactType:
        at_home = self.plan.placement_on(day).placement_type in HOME_TYPES
        weekday = day.weekday() < 5
        in_school = weekday and self.plan.age_on(day) < 16
        uasc = self.plan.identity.uasc
        options = (
            (C.FACE_TO_FACE, 24), (C.HOME_VISIT, 18 if at_home else 0),
            (C.PLACEMENT_VISIT, 0 if at_home else 18), (C.SCHOOL_VISIT, 7 if in_school else 0),
            (C.PHONE, 13), (C.VIDEO_CALL, 3), (C.MESSAGE, 8), (C.GROUP_ACTIVITY, 6),
            (C.FAMILY_MEETING, 0 if uasc else 5), (C.PROFESSIONALS_MEETING, 6 if weekday else 0),
            (C.ATTEMPTED, 5),
        )  # fmt: skip
        return weighted(self.rng, options)

    def _time_of_day(self, kind: ContactType, day: date) -> int:
        rng = self.rng
        if kind in (C.SCHOOL_VISIT, C.PROFESSIONALS_MEETING):
            return rng.randint(9 * 12, 14 * 12 + 6) * 5
        if day.weekday() >= 5 or rng.random() < 0.3:
            return rng.randint(10 * 12, 19 * 12) * 5
        return rng.randint(15 * 12 + 6, 20 * 12 + 6) * 5

    def _body(
        self, kind: ContactType, ctx: dict[str, str], worries: list[Worry], *, missing: bool
    ) -> tuple[list[list[str]], str | None]:
        rng, notes = self.rng, self.notes
        opening = [self.fill(rng.choice(notes["openers"][kind.value]), ctx)]
        middle: list[str] = []
        closing: list[str] = []
        own_words = None
        if missing and kind != C.ATTEMPTED:
            middle.append(self.fill(rng.choice(notes["missing_followups"]), ctx))
            worries.append(Worry.MISSING_FROM_HOME)
        if kind in SHORT_TYPES:
            opening.append(self.fill(rng.choice(notes["short"][kind.value]), ctx))
            if kind == C.PHONE and rng.random() < 0.3:
                middle.append(self._theme_sentence(self.pick_theme(), ctx, worries))
        elif kind == C.PROFESSIONALS_MEETING:
            middle.append(self._concern(ctx, worries))
            middle.append(self.fill(rng.choice(notes["short"][kind.value]), ctx))
        elif kind == C.FAMILY_MEETING:
            middle.append(self._theme_sentence(self.pick_theme(), ctx, worries))
            middle.append(self.fill(rng.choice(notes["short"][kind.value]), ctx))
        else:
            if kind == C.GROUP_ACTIVITY:
                opening.append(self.fill(rng.choice(notes["short"]["group_activity"]), ctx))
            opening.append(self.fill(rng.choice(notes["moods"]), ctx))
            themes = [self.pick_theme() for _ in range(rng.randint(1, 2))]
            for theme in themes:
                for _ in range(rng.randint(1, 2)):
                    middle.append(self._theme_sentence(theme, ctx, worries))
            if rng.random() < 0.6:
                own_words = rng.choice(rng.choice(themes).words)
                middle.append(self.fill(rng.choice(_QUOTES), {**ctx, "quote": own_words}))
            if rng.random() < 0.3:
                closing.append(self.fill(rng.choice(notes["reflections"]), ctx))
        if rng.random() < 0.7:
            closing.append(self.fill(rng.choice(notes["next_steps"]), ctx))
        return [opening, list(dict.fromkeys(middle)), closing], own_words

    def _concern(self, ctx: dict[str, str], worries: list[Worry]) -> str:
        """What a meeting discussed: the worry behind one of the young person's themes."""
        worrying = [t for t in self.themes if t.reasons] or self.themes
        theme = self.rng.choice(worrying)
        if not theme.reasons:
            return self._theme_sentence(theme, ctx, worries)
        if theme.worry is not None:
            worries.append(theme.worry)
        reason = self.rng.choice(theme.reasons)
        return f"Concerns discussed: {reason[:1].lower()}{reason[1:]}"

    def _theme_sentence(self, theme: Theme, ctx: dict[str, str], worries: list[Worry]) -> str:
        if theme.worry is not None and self.rng.random() < 0.65:
            worries.append(theme.worry)
        return self.fill(self.rng.choice(theme.sentences), ctx)

    def _present(self, kind: ContactType, day: date, ctx: dict[str, str]) -> list[str]:
        rng = self.rng
        name = self.base["name"]
        carer = _carer_label(self.plan.placement_on(day))
        social_worker = f"Social worker ({self.plan.social_worker})"
        if kind == C.ATTEMPTED:
            return [carer] if rng.random() < 0.5 else []
        if kind in (C.HOME_VISIT, C.PLACEMENT_VISIT):
            present = [name, carer]
            if rng.random() < 0.2:
                present.append(_sentence(self.plan.sibling))
            return present
        if kind == C.SCHOOL_VISIT:
            return [name, "Head of year"] if rng.random() < 0.5 else [name]
        if kind == C.GROUP_ACTIVITY:
            return [name, "Hub youth worker", "Three other young people"]
        if kind == C.FAMILY_MEETING:
            family = [name, self.plan.parent, social_worker]
            return family if carer == self.plan.parent else [*family[:2], carer, social_worker]
        if kind == C.PROFESSIONALS_MEETING:
            return [social_worker, *rng.sample(_PROFESSIONALS, rng.randint(1, 3))]
        if kind == C.PHONE and rng.random() < 0.3:
            return [carer, name]
        return [name]

    def _location(self, kind: ContactType, day: date, ctx: dict[str, str], opening: str) -> str:
        placement = self.plan.placement_on(day)
        if kind in (C.HOME_VISIT, C.PLACEMENT_VISIT, C.ATTEMPTED):
            return placement.provider
        if kind == C.PROFESSIONALS_MEETING:
            return _meeting_place(opening, ctx["school"])
        fixed = {
            C.SCHOOL_VISIT: ctx["school"],
            C.PHONE: "Phone",
            C.MESSAGE: "Text / WhatsApp",
            C.VIDEO_CALL: "Video call",
            C.GROUP_ACTIVITY: _sentence(ctx["group"]),
            C.FAMILY_MEETING: placement.provider if self.rng.random() < 0.6 else "The hub",
        }
        return fixed.get(kind) or _sentence(ctx["place"])


def _meeting_place(opening: str, school: str) -> str:
    """Where the opener says the meeting was (online, at school, at the civic centre)."""
    if "Teams" in opening:
        return "Teams"
    if school in opening:
        return school
    return "Civic Centre"


def _home_phrase(placement: PlacementPlan) -> str:
    kind = placement.placement_type
    if kind == P.WITH_PARENTS:
        return "home"
    if kind == P.KINSHIP:
        return f"{placement.carer}'s house"
    if kind in (P.IN_HOUSE_FOSTERING, P.IFA):
        return "the foster home"
    if kind == P.SUPPORTED_ACCOMMODATION:
        return "the flat"
    if kind == P.SECURE:
        return "the secure unit"
    # "Holly Lodge (Cedarwood Care Ltd)" or "Assessment bed, Maple Lodge" -> the home's name
    return placement.provider.split(" (")[0].split(", ")[-1]


def _carer_label(placement: PlacementPlan) -> str:
    kind, carer = placement.placement_type, placement.carer
    if kind in (P.WITH_PARENTS, P.KINSHIP):
        return _sentence(carer)
    if kind in (P.IN_HOUSE_FOSTERING, P.IFA):
        plural = " and " in carer or carer.startswith("the ")
        return f"Foster carer{'s' if plural else ''} ({carer})"
    if kind == P.SUPPORTED_ACCOMMODATION:
        return f"Support worker ({carer.split(' (')[0]})"
    return "Residential staff" if kind != P.SECURE else "Secure unit staff"
