"""Organisation settings: one TOML file IT can deploy per machine, overridden per user where the
organisation allows it.

Each setting (its key, kind of value, default, whether a user's file may set it, and what it
does) is declared once, in ``settings_catalogue``; this module reads the files by it, and
``docs/keyworker.example.toml`` and the IT guide's table are generated from it (``make docs``).

The machine's file is found at $KEYWORKER_SETTINGS, else in the system configuration folder
(platformdirs ``site_config_dir``); the user's file in the user's configuration folder. Any
problem is one sentence naming the file and the key. The settings are read once, at the edge
(``keyworker_app.cli``), and handed down as an ``OrganisationSettings``; no layer below reads a
file or the environment for them.
"""

from __future__ import annotations

import difflib
import os
import sys
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from keyworker_app.settings_catalogue import (
    CATALOGUE,
    USER_KEYS,
    Catalogue,
    Reading,
    Setting,
)

APP = "Keyworker"
FILE_NAME = "keyworker.toml"
SETTINGS_ENV = "KEYWORKER_SETTINGS"


class SettingsError(ValueError):
    """A settings file that cannot be used; the message names the file and the key."""


# The declared defaults (all immutable: text, numbers, None, a frozenset).
_DEFAULT: Mapping[str, Any] = {s.key: s.default for s in CATALOGUE}


@dataclass(frozen=True)
class OrganisationSettings:
    """The settings in force; each field is a declared setting (``settings_catalogue``), with
    its declared default."""

    name: str = _DEFAULT["organisation.name"]
    logo: Path | None = _DEFAULT["organisation.logo"]
    marking: str = _DEFAULT["organisation.marking"]
    central_store_url: str | None = _DEFAULT["central_store.url"]
    idle_lock_minutes: int = _DEFAULT["practice.idle_lock_minutes"]
    visiting_standard_days: int | None = _DEFAULT["practice.visiting_standard_days"]
    caseload_cap: int | None = _DEFAULT["practice.caseload_cap"]
    templates: tuple[str, ...] | None = _DEFAULT["practice.templates"]  # None: every template
    users_may_change: frozenset[str] = _DEFAULT[USER_KEYS]
    # An organisation's file is in force; False on a laptop outside any deployment, whose user
    # may choose every setting.
    managed: bool = False
    # "section.key" -> the file that set it; a key not here has its default.
    sources: Mapping[str, Path] = field(default_factory=dict, compare=False, hash=False)

    def user_may_change(self, key: str) -> bool:
        """A user may choose this for themselves: the organisation allows it, or no
        organisation file is in force at all (a laptop outside any council's deployment)."""
        return key in self.users_may_change or not self.managed

    def value_of(self, key: str) -> Any:
        """The value in force for a "section.key" of the file."""
        return getattr(self, CATALOGUE.setting(key).attribute)


# The settings `keyworker settings` lists one a line ([users_may_change] follows on its own).
KEYS: dict[str, Setting] = {s.key: s for s in CATALOGUE if s.key != USER_KEYS}


def _flatten(data: Mapping[str, Any], path: Path) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for section, body in data.items():
        if not isinstance(body, dict):
            raise SettingsError(
                f"{path}: '{section}' must be a [section] heading with settings under it."
            )
        for key, value in body.items():
            flat[f"{section}.{key}"] = value
    return flat


def _unknown(path: Path, key: str, catalogue: Catalogue) -> SettingsError:
    close = difflib.get_close_matches(key, catalogue.keys, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return SettingsError(f"{path}: there is no setting '{key}'{hint}.")


_told: set[str] = set()


def tell(message: str) -> None:
    """A warning line on stderr, once per run (the command line reads a file again when IT
    checks the deployed one); nothing when there is no stderr (the packaged app on Windows)."""
    if message in _told or sys.stderr is None:
        return
    _told.add(message)
    print(message, file=sys.stderr, flush=True)


def read_file(
    path: Path,
    *,
    warn: Callable[[str], None] | None = None,
    catalogue: Catalogue | None = None,
) -> dict[str, Any]:
    """The file's settings as {"section.key": value}, checked, under the names they have now
    (an old name is passed to ``warn``, by default ``tell``). Raises SettingsError."""
    catalogue = catalogue or CATALOGUE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise SettingsError(f"{path}: the settings file does not exist.") from None
    except (OSError, UnicodeDecodeError) as error:
        raise SettingsError(f"{path}: the settings file cannot be read ({error}).") from None
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"{path}: this is not valid TOML ({error}).") from None
    reading = Reading(path, catalogue, warn or tell)
    checked: dict[str, Any] = {}
    written_as: dict[str, str] = {}
    for written, value in _flatten(data, path).items():
        setting = catalogue.find(written)
        if setting is None:
            raise _unknown(path, written, catalogue)
        key = reading.current_name(written)
        if key in written_as:
            raise SettingsError(
                f"{path}: '{written_as[key]}' and '{written}' are the same setting; keep only "
                f"'{key}'."
            )
        written_as[key] = written
        try:
            checked[key] = setting.kind.check(value, reading)
        except ValueError as reason:
            raise SettingsError(f"{path}: {written} {reason}.") from None
    return checked


def default_paths() -> tuple[Path, Path]:
    """(the machine's file, the user's file): on Windows C:\\ProgramData\\Keyworker and
    %LOCALAPPDATA%\\Keyworker, on macOS /Library/Application Support/Keyworker and its ~ twin,
    on Linux /etc/xdg/Keyworker and ~/.config/Keyworker."""
    import platformdirs

    machine = os.environ.get(SETTINGS_ENV)
    return (
        Path(machine)
        if machine
        else platformdirs.site_config_path(APP, appauthor=False) / FILE_NAME,
        platformdirs.user_config_path(APP, appauthor=False) / FILE_NAME,
    )


def load_settings(
    machine: Path | None = None,
    user: Path | None = None,
    *,
    warn: Callable[[str], None] | None = None,
) -> OrganisationSettings:
    """The settings in force: the defaults, then the machine's file, then what the user's file
    may change. A missing file is no error (unless named by $KEYWORKER_SETTINGS); a bad one is.
    An old setting name still works; ``warn`` (by default ``tell``) hears of it."""
    if machine is None and user is None:
        machine, user = default_paths()
        must_exist = bool(os.environ.get(SETTINGS_ENV))
    else:
        must_exist = False
    settings = OrganisationSettings()
    values: dict[str, Any] = {}
    if machine is not None and (must_exist or machine.exists()):
        values = read_file(machine, warn=warn)
    allowed = values.pop(USER_KEYS, frozenset())
    # No organisation file in force: a laptop outside any deployment, whose user may set
    # everything (as the app lets them choose the idle lock; see user_may_change).
    unmanaged = not values and not allowed
    sources = dict.fromkeys(values, machine)
    if user is not None and user.exists():
        own = read_file(user, warn=warn)
        for key in own:
            if not CATALOGUE.setting(key).user_may_change:
                raise SettingsError(f"{user}: only the organisation's file may set {key}.")
        for key, value in own.items():
            if key not in allowed and not unmanaged:
                raise SettingsError(
                    f"{user}: {key} is set by the organisation and cannot be changed here; "
                    "remove it from this file."
                )
            values[key] = value
            sources[key] = user
    changes = {CATALOGUE.setting(key).attribute: value for key, value in values.items()}
    return replace(
        settings, **changes, users_may_change=allowed, sources=sources, managed=not unmanaged
    )
