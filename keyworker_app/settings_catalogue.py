"""Every organisation setting, declared once: its key in the file, its kind of value (which checks
it), its default, whether a user's own file may set it, and what it does.

Reading the files (``organisation``), the documented example ``docs/keyworker.example.toml`` and
the settings table in ``docs/guide-it.md`` (``settings_docs``, ``make docs``) all come from
``CATALOGUE``; a test fails when the committed documents differ from what it generates.

A renamed setting keeps its old names in ``old_names``: a file using one still works, and the
reader says once, naming the file, what the setting is now called.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

from keyworker_app.domain.addresses import check_server_address

USER_KEYS = "users_may_change.settings"
LOGO_LIMIT = 5 * 1024 * 1024


@dataclass(frozen=True)
class Reading:
    """The file a value comes from (a relative logo is beside it) and the settings it may name."""

    file: Path
    catalogue: Catalogue
    warn: Callable[[str], None]

    def current_name(self, key: str) -> str:
        """``key`` as it is called now; an old name still works, with one warning line."""
        new = self.catalogue.renamed.get(key)
        if new is None:
            return key
        self.warn(
            f"{self.file}: '{key}' is now called '{new}'; rename it, the old name will stop "
            "working in a later version."
        )
        return new


class Kind(Protocol):
    """A kind of value. ``check`` returns the value to keep or raises ValueError(reason), the
    reason finishing the sentence "<file>: <key> ..."; ``limits`` is what the documents say of
    the allowed values ("1 to 240"), or ""."""

    @property
    def limits(self) -> str: ...

    def check(self, value: object, reading: Reading) -> Any: ...


@dataclass(frozen=True)
class Text:
    """One line of text; kept without the spaces around it."""

    limit: int
    limits = ""

    def check(self, value: object, reading: Reading) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ValueError("must be some text in quotes")
        if len(value) > self.limit or any(ord(c) < 32 for c in value):
            raise ValueError(f"must be one line of at most {self.limit} characters")
        return value.strip()


@dataclass(frozen=True)
class Whole:
    """A whole number from ``low`` to ``high``."""

    low: int
    high: int

    @property
    def limits(self) -> str:
        return f"{self.low} to {self.high}"

    def check(self, value: object, reading: Reading) -> int:
        # TOML's true is a bool, which Python counts as an int.
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"must be a whole number from {self.low} to {self.high}")
        if not self.low <= value <= self.high:
            raise ValueError(f"must be a whole number from {self.low} to {self.high}")
        return value


@dataclass(frozen=True)
class Address:
    """The central store's address, by the sync client's own rule: https://, or plain http://
    only to this computer, so a settings file cannot send every laptop's sync in clear."""

    limits = ""

    def check(self, value: object, reading: Reading) -> str:
        problem = 'must be an address like "https://keyworker.example.gov.uk"'
        if not isinstance(value, str):
            raise ValueError(problem)
        try:
            return check_server_address(value)
        except ValueError:
            raise ValueError(f"{problem} (plain http:// only to this computer)") from None


@dataclass(frozen=True)
class Picture:
    """A PNG or JPEG file, beside the settings file or a full path. Its first bytes are read
    here, so a broken logo is named at start rather than when a supervisor prints a pack."""

    limit: int = LOGO_LIMIT

    @property
    def limits(self) -> str:
        return f"at most {self.limit // (1024 * 1024)} MB"

    def check(self, value: object, reading: Reading) -> Path:
        logo = Path(Text(500).check(value, reading)).expanduser()
        logo = logo if logo.is_absolute() else reading.file.parent / logo
        problem = None
        try:
            size = logo.stat().st_size
            with logo.open("rb") as file:
                head = file.read(24)
        except OSError:
            problem = "must name a PNG or JPEG file that exists"
        else:
            png = (
                head[:8] == b"\x89PNG\r\n\x1a\n"
                and head[12:16] == b"IHDR"
                and len(head) == 24
                and min(int.from_bytes(head[16:20]), int.from_bytes(head[20:24])) > 0
            )
            if not (png or head[:3] == b"\xff\xd8\xff"):
                problem = "must name a PNG or JPEG picture, and this file is neither"
            elif size > self.limit:
                problem = f"must be a picture of at most {self.limit // (1024 * 1024)} MB"
        if problem:
            raise ValueError(f"{problem} ({logo})")
        return logo


@dataclass(frozen=True)
class TemplateIds:
    """A list of template ids (whether a template has each id is checked by the caller, which
    knows the templates)."""

    limits = ""

    def check(self, value: object, reading: Reading) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ValueError('must be a list of template ids, like ["five_ps_formulation"]')
        return tuple(value)


@dataclass(frozen=True)
class SettingNames:
    """A list of the settings a user's own file may set (old names still work)."""

    limits = ""

    def check(self, value: object, reading: Reading) -> frozenset[str]:
        if not isinstance(value, list):
            raise ValueError(f"must list settings from this file ({value!r})")
        catalogue = reading.catalogue
        unknown = [v for v in value if not isinstance(v, str) or catalogue.find(v) is None]
        if unknown:
            raise ValueError(f"must list settings from this file ({unknown!r})")
        names = [reading.current_name(v) for v in value]
        kept = [name for name in names if name not in catalogue.users_may_set]
        if kept:
            listed = ", ".join(repr(name) for name in kept)
            raise ValueError(f"lists {listed}, which only the organisation's file may set")
        return frozenset(names)


@dataclass(frozen=True)
class Setting:
    """One setting of the organisation's file.

    ``summary`` says what it does (a phrase, as in the IT guide's table); ``details`` adds
    sentences for the example file. ``left_out`` says what happens without it when its default
    is no value ("asked for at sign-in"). ``example`` is the value the example file shows,
    commented out when ``example_active`` is False (a logo must exist to be accepted).
    """

    key: str  # "section.name" in the file
    attribute: str  # the field of OrganisationSettings that holds it
    kind: Kind
    default: Any
    summary: str
    example: Any
    details: str = ""
    left_out: str = ""
    example_active: bool = True
    # Whether a user's own file may set it where the organisation lists it under
    # [users_may_change] (or where no organisation file is in force).
    user_may_change: bool = True
    old_names: tuple[str, ...] = ()

    @property
    def section(self) -> str:
        return self.key.partition(".")[0]

    @property
    def name(self) -> str:
        return self.key.partition(".")[2]


@dataclass(frozen=True)
class Catalogue:
    """The declared settings, in the order the documents list them."""

    settings: tuple[Setting, ...]
    _index: Mapping[str, Setting] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, Setting] = {}
        for setting in self.settings:
            for name in (setting.key, *setting.old_names):
                section, _, key = name.partition(".")
                if not section or not key or "." in key:
                    raise ValueError(f"setting {name!r} is not named like 'section.key'")
                if name in index:
                    raise ValueError(f"setting {name!r} is declared twice")
                index[name] = setting
        object.__setattr__(self, "_index", index)

    def __iter__(self) -> Iterator[Setting]:
        return iter(self.settings)

    def find(self, key: str) -> Setting | None:
        """The setting called ``key``, now or under an old name."""
        return self._index.get(key)

    def setting(self, key: str) -> Setting:
        found = self._index[key]
        if found.key != key:
            raise KeyError(key)
        return found

    @cached_property
    def keys(self) -> tuple[str, ...]:
        return tuple(s.key for s in self.settings)

    @cached_property
    def renamed(self) -> dict[str, str]:
        """old name -> the name now."""
        return {old: s.key for s in self.settings for old in s.old_names}

    @cached_property
    def users_may_set(self) -> frozenset[str]:
        return frozenset(s.key for s in self.settings if s.user_may_change)


CATALOGUE = Catalogue(
    (
        Setting(
            "organisation.name",
            "name",
            Text(120),
            default="",
            summary="printed on the cover of every review pack, supervision pack and service "
            "report",
            left_out="no name",
            example="Northshire Council",
        ),
        Setting(
            "organisation.logo",
            "logo",
            Picture(),
            default=None,
            summary="a PNG or JPEG picture, beside the settings file or a full path, scaled "
            "to fit 60 x 20 mm on covers",
            left_out="no logo",
            example="northshire-logo.png",
            example_active=False,
        ),
        Setting(
            "organisation.marking",
            "marking",
            Text(60),
            default="OFFICIAL-SENSITIVE",
            summary="the protective marking printed at the top and bottom of every page",
            example="OFFICIAL-SENSITIVE",
        ),
        Setting(
            "central_store.url",
            "central_store_url",
            Address(),
            default=None,
            summary="the central store the first run signs in to (shown, not asked for) and "
            "`keyworker login` uses without `--server`",
            details="https:// only; plain http:// is refused except to the laptop itself "
            "(http://127.0.0.1:8765).",
            left_out="asked for at sign-in",
            example="https://keyworker.northshire.example.gov.uk",
        ),
        Setting(
            "practice.idle_lock_minutes",
            "idle_lock_minutes",
            Whole(1, 240),
            default=10,
            summary="minutes without use before the caseload locks",
            example=10,
        ),
        Setting(
            "practice.visiting_standard_days",
            "visiting_standard_days",
            Whole(1, 365),
            default=None,
            summary="days within which every open young person should be seen",
            left_out="each team's own standard, set on the central store (7 for a new team)",
            example=10,
        ),
        Setting(
            "practice.caseload_cap",
            "caseload_cap",
            Whole(1, 200),
            default=None,
            summary="open young people per keyworker before the service report flags them",
            left_out="each team's own cap, set on the central store (12 for a new team)",
            example=8,
        ),
        Setting(
            "practice.templates",
            "templates",
            TemplateIds(),
            default=None,
            summary="the templates new forms can be started from (`keyworker forms list` "
            "shows the ids)",
            details="Forms already written from a template left out here still open, print "
            "and can be revised.",
            left_out="every template",
            example=[
                "five_ps_formulation",
                "deep_dive_review",
                "gbo_goals",
                "safety_plan",
                "reflective_practice_group",
                "reflective_practice_individual",
                "supervision_record",
            ],
        ),
        Setting(
            USER_KEYS,
            "users_may_change",
            SettingNames(),
            default=frozenset(),
            summary="the settings a user's own file may change",
            details="Any other setting in a user's file is refused.",
            left_out="none",
            example=["practice.idle_lock_minutes"],
            user_may_change=False,
        ),
    )
)
