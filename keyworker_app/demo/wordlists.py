"""The demo's word lists (names, places, note fragments), read once from ``resources/demo``."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from functools import cache
from typing import Any

from keyworker_app.domain.vocabulary import Worry
from keyworker_app.paths import resources_dir

# A script name and how workers write it in English notes, e.g. ("ሰላም", "Selam").
Transliterated = tuple[str, str]


@dataclass(frozen=True)
class Heritage:
    name: str
    weight: int
    languages: tuple[tuple[str, int], ...]
    male: tuple[str, ...]
    female: tuple[str, ...]
    family: tuple[str, ...]


@dataclass(frozen=True)
class AsylumLanguage:
    """Names of unaccompanied asylum-seeking young people who speak one language."""

    language: str
    weight: int
    female_share: float
    interpreter: str
    male: tuple[Transliterated, ...]
    female: tuple[Transliterated, ...]
    family: tuple[Transliterated, ...]


@dataclass(frozen=True)
class Theme:
    """Something a young person's work is about (school, football, exploitation...)."""

    key: str
    worry: Worry | None
    sentences: tuple[str, ...]
    words: tuple[str, ...]
    goals: tuple[str, ...]
    reasons: tuple[str, ...]
    actions: tuple[str, ...]
    min_age: int
    uasc_only: bool


@dataclass(frozen=True)
class Places:
    """Invented schools, providers and places."""

    teams: tuple[str, ...]
    schools: tuple[str, ...]
    colleges: tuple[str, ...]
    uasc_education: tuple[str, ...]
    not_in_education: tuple[str, ...]
    providers: dict[str, tuple[str, ...]]
    community: tuple[str, ...]
    groups: tuple[str, ...]
    clubs: tuple[str, ...]
    referral_sources: dict[str, tuple[str, ...]]
    where_found: tuple[str, ...]
    social_workers: tuple[str, ...]


@dataclass(frozen=True)
class SignificantEvent:
    """Something that makes a contact significant (it then joins the chronology)."""

    purpose: str
    sentence: str
    worry: Worry | None
    where: str | None  # "home" or "care" when it only happens there


@dataclass(frozen=True)
class WordLists:
    heritages: tuple[Heritage, ...]
    nicknames: dict[str, str]
    asylum_languages: tuple[AsylumLanguage, ...]
    staff_given: tuple[str, ...]
    staff_family: tuple[str, ...]
    adults: tuple[str, ...]
    siblings: tuple[str, ...]
    carer_names: tuple[str, ...]
    places: Places
    themes: dict[str, Theme]
    significant: tuple[SignificantEvent, ...]
    notes: dict[str, Any]  # the other fragment lists, by name

    def providers(self, placement_type: str) -> tuple[str, ...]:
        return self.places.providers[placement_type]


def _read(name: str) -> dict[str, Any]:
    path = resources_dir() / "demo" / name
    with path.open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def _pairs(items: list[list[str]]) -> tuple[Transliterated, ...]:
    return tuple((script, latin) for script, latin in items)


def _places(raw: dict[str, Any]) -> Places:
    def grouped(key: str) -> dict[str, tuple[str, ...]]:
        return {name: tuple(items) for name, items in raw[key].items()}

    simple = {
        f.name: tuple(raw[f.name])
        for f in fields(Places)
        if f.name not in ("providers", "referral_sources")
    }
    return Places(
        **simple, providers=grouped("providers"), referral_sources=grouped("referral_sources")
    )


def _significant(raw: dict[str, Any]) -> SignificantEvent:
    return SignificantEvent(
        purpose=raw["purpose"],
        sentence=raw["sentence"],
        worry=Worry(raw["worry"]) if raw.get("worry") else None,
        where=raw.get("where"),
    )


def _theme(key: str, raw: dict[str, Any]) -> Theme:
    return Theme(
        key=key,
        worry=Worry(raw["worry"]) if raw.get("worry") else None,
        sentences=tuple(raw["sentences"]),
        words=tuple(raw["words"]),
        goals=tuple(raw["goals"]),
        reasons=tuple(raw["reasons"]),
        actions=tuple(raw["actions"]),
        min_age=int(raw.get("min_age", 0)),
        uasc_only=bool(raw.get("uasc_only", False)),
    )


@cache
def word_lists() -> WordLists:
    """The parsed lists; a missing or malformed file raises (the install is broken)."""
    names = _read("names.json")
    places = _read("places.json")
    notes = _read("narratives.json")
    heritages = tuple(
        Heritage(
            name=key,
            weight=int(raw["weight"]),
            languages=tuple((lang, int(w)) for lang, w in raw["languages"]),
            male=tuple(raw["male"]),
            female=tuple(raw["female"]),
            family=tuple(raw["family"]),
        )
        for key, raw in names["heritages"].items()
    )
    asylum = tuple(
        AsylumLanguage(
            language=key,
            weight=int(raw["weight"]),
            female_share=float(raw["female_share"]),
            interpreter=raw["interpreter"],
            male=_pairs(raw["male"]),
            female=_pairs(raw["female"]),
            family=_pairs(raw["family"]),
        )
        for key, raw in names["uasc"].items()
    )
    household = names["household"]
    return WordLists(
        heritages=heritages,
        nicknames=dict(names["nicknames"]),
        asylum_languages=asylum,
        staff_given=tuple(names["staff"]["given"]),
        staff_family=tuple(names["staff"]["family"]),
        adults=tuple(household["adults"]),
        siblings=tuple(household["siblings"]),
        carer_names=tuple(household["carer_first_names"]),
        places=_places(places),
        themes={key: _theme(key, raw) for key, raw in notes["themes"].items()},
        significant=tuple(_significant(raw) for raw in notes["significant"]),
        notes=notes,
    )
