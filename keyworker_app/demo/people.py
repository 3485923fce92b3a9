"""Names for synthetic young people and staff, drawn from the demo word lists."""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from keyworker_app.demo.wordlists import AsylumLanguage, Heritage, WordLists
from keyworker_app.domain.vocabulary import Gender

T = TypeVar("T")

# Settled families whose names mix most often in British towns.
_MIXING = ("english", "welsh", "irish", "caribbean", "nigerian")
_GENDERS = (Gender.MALE, Gender.FEMALE, Gender.NON_BINARY, Gender.NOT_STATED)


def weighted(rng: random.Random, pairs: Sequence[tuple[T, float]]) -> T:
    """One item of (item, weight) pairs."""
    total = sum(w for _, w in pairs)
    point = rng.random() * total
    for item, weight in pairs:
        point -= weight
        if point < 0:
            return item
    return pairs[-1][0]


@dataclass(frozen=True)
class Identity:
    given_name: str
    family_name: str
    preferred_name: str | None
    spoken_name: str  # how notes written in English name the young person
    gender: Gender
    first_language: str
    uasc: bool
    interpreter: str | None


def _feminine(family: str) -> str:
    """Polish family names agree with gender: Kowalski -> Kowalska."""
    return re.sub(r"(ski|cki|dzki)$", lambda m: m.group(1)[:-1] + "a", family)


def _settled_identity(rng: random.Random, words: WordLists) -> Identity:
    heritage: Heritage = weighted(rng, [(h, h.weight) for h in words.heritages])
    gender = weighted(rng, list(zip(_GENDERS, (50, 46, 2.5, 1.5), strict=True)))
    female = gender == Gender.FEMALE or (gender != Gender.MALE and rng.random() < 0.5)
    given = rng.choice(heritage.female if female else heritage.male)
    family_from = heritage
    if heritage.name in _MIXING and rng.random() < 0.15:
        mixed = rng.choice(_MIXING)
        family_from = next(h for h in words.heritages if h.name == mixed)
    family = rng.choice(family_from.family)
    if female and family_from.name == "polish":
        family = _feminine(family)
    nickname = words.nicknames.get(given)
    preferred = nickname if nickname and rng.random() < 0.6 else None
    return Identity(
        given_name=given,
        family_name=family,
        preferred_name=preferred,
        spoken_name=preferred or given,
        gender=gender,
        first_language=weighted(rng, heritage.languages),
        uasc=False,
        interpreter=None,
    )


def _asylum_identity(rng: random.Random, words: WordLists) -> Identity:
    language: AsylumLanguage = weighted(rng, [(a, a.weight) for a in words.asylum_languages])
    female = rng.random() < language.female_share
    given, given_latin = rng.choice(language.female if female else language.male)
    family, _ = rng.choice(language.family)
    # Some young people ask to be called by the spelling they use at college.
    preferred = given_latin if given != given_latin and rng.random() < 0.3 else None
    return Identity(
        given_name=given,
        family_name=family,
        preferred_name=preferred,
        spoken_name=given_latin,
        gender=Gender.FEMALE if female else Gender.MALE,
        first_language=language.language,
        uasc=True,
        interpreter=language.interpreter,
    )


def young_person_identity(rng: random.Random, words: WordLists, *, uasc: bool) -> Identity:
    return _asylum_identity(rng, words) if uasc else _settled_identity(rng, words)


def staff_display_name(rng: random.Random, words: WordLists) -> str:
    return f"{rng.choice(words.staff_given)} {rng.choice(words.staff_family)}"


def user_name_for(display_name: str, taken: set[str]) -> str:
    """A login-style user name ("sian.evans"), unique against ``taken`` (which it joins)."""
    plain = unicodedata.normalize("NFKD", display_name).encode("ascii", "ignore").decode()
    parts = [p for p in re.split(r"[^a-z]+", plain.lower()) if p and p != "dr"]
    base = ".".join(parts) or "worker"
    name, suffix = base, 1
    while name in taken:
        suffix += 1
        name = f"{base}{suffix}"
    taken.add(name)
    return name
