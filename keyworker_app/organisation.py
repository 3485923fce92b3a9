"""Organisation settings: one TOML file IT can deploy per machine, overridden per user where the
organisation allows it.

    [organisation]
    name = "Northshire Council"
    logo = "northshire.png"            # beside this file, or an absolute path
    marking = "OFFICIAL-SENSITIVE"     # printed at the top and bottom of every page

    [central_store]
    url = "https://keyworker.northshire.gov.uk"

    [practice]
    idle_lock_minutes = 10
    visiting_standard_days = 10       # leave out: each team's own standard
    caseload_cap = 8                  # leave out: each team's own cap
    templates = ["five_ps_formulation", "deep_dive_review"]   # enabled; leave out for all

    [users_may_change]
    settings = ["practice.idle_lock_minutes"]

The machine's file is found at $KEYWORKER_SETTINGS, else in the system configuration folder
(platformdirs ``site_config_dir``); the user's file in the user's configuration folder. Any
problem is one sentence naming the file and the key. ``docs/keyworker.example.toml`` documents
every key. The settings are read once, at the edge (``keyworker_app.cli``), and handed down as
an ``OrganisationSettings``; no layer below reads a file or the environment for them.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from keyworker_app.sync.addresses import check_server_address

APP = "Keyworker"
FILE_NAME = "keyworker.toml"
SETTINGS_ENV = "KEYWORKER_SETTINGS"


class SettingsError(ValueError):
    """A settings file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class OrganisationSettings:
    name: str = ""
    logo: Path | None = None
    marking: str = "OFFICIAL-SENSITIVE"
    central_store_url: str | None = None
    idle_lock_minutes: int = 10
    visiting_standard_days: int | None = None  # None: each team's own standard
    caseload_cap: int | None = None  # None: each team's own cap
    templates: tuple[str, ...] | None = None  # None: every template
    users_may_change: frozenset[str] = field(default_factory=frozenset)
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
        return getattr(self, KEYS[key][0])


# key -> (attribute, check). Each check returns the value to keep or raises ValueError(reason).
def _text(limit: int) -> Any:
    def check(value: object) -> str:
        if not isinstance(value, str) or not value.strip():
            raise ValueError("must be some text in quotes")
        if len(value) > limit or any(ord(c) < 32 for c in value):
            raise ValueError(f"must be one line of at most {limit} characters")
        return value.strip()

    return check


def _whole(low: int, high: int) -> Any:
    def check(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"must be a whole number from {low} to {high}")
        return value

    return check


def _url(value: object) -> str:
    # The sync client's own rule: https://, or plain http:// only to this computer.
    problem = 'must be an address like "https://keyworker.example.gov.uk"'
    if not isinstance(value, str):
        raise ValueError(problem)
    try:
        return check_server_address(value)
    except ValueError:
        raise ValueError(f"{problem} (plain http:// only to this computer)") from None


def _names(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ValueError('must be a list of template ids, like ["five_ps_formulation"]')
    return tuple(value)


KEYS: dict[str, tuple[str, Any]] = {
    "organisation.name": ("name", _text(120)),
    "organisation.logo": ("logo", _text(500)),
    "organisation.marking": ("marking", _text(60)),
    "central_store.url": ("central_store_url", _url),
    "practice.idle_lock_minutes": ("idle_lock_minutes", _whole(1, 240)),
    "practice.visiting_standard_days": ("visiting_standard_days", _whole(1, 365)),
    "practice.caseload_cap": ("caseload_cap", _whole(1, 200)),
    "practice.templates": ("templates", _names),
}
USER_KEYS = "users_may_change.settings"


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


def _unknown(path: Path, key: str) -> SettingsError:
    close = difflib.get_close_matches(key, [*KEYS, USER_KEYS], n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return SettingsError(f"{path}: there is no setting '{key}'{hint}.")


def read_file(path: Path) -> dict[str, Any]:
    """The file's settings as {"section.key": value}, checked. Raises SettingsError."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise SettingsError(f"{path}: the settings file does not exist.") from None
    except (OSError, UnicodeDecodeError) as error:
        raise SettingsError(f"{path}: the settings file cannot be read ({error}).") from None
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"{path}: this is not valid TOML ({error}).") from None
    flat = _flatten(data, path)
    checked: dict[str, Any] = {}
    for key, value in flat.items():
        if key == USER_KEYS:
            if not isinstance(value, list) or any(v not in KEYS for v in value):
                bad = [v for v in value if v not in KEYS] if isinstance(value, list) else value
                raise SettingsError(f"{path}: {key} must list settings from this file ({bad!r}).")
            checked[key] = frozenset(value)
            continue
        if key not in KEYS:
            raise _unknown(path, key)
        try:
            checked[key] = KEYS[key][1](value)
        except ValueError as reason:
            raise SettingsError(f"{path}: {key} {reason}.") from None
    if "organisation.logo" in checked:
        checked["organisation.logo"] = _logo(path, Path(checked["organisation.logo"]))
    return checked


LOGO_LIMIT = 5 * 1024 * 1024


def _logo(path: Path, logo: Path) -> Path:
    """The logo's full path, once its first bytes show a PNG or JPEG picture: a broken logo is
    caught here, by name, rather than when a supervisor prints a pack."""
    logo = logo.expanduser()
    logo = logo if logo.is_absolute() else path.parent / logo
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
        elif size > LOGO_LIMIT:
            problem = "must be a picture of at most 5 MB"
    if problem:
        raise SettingsError(f"{path}: organisation.logo {problem} ({logo}).")
    return logo


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


def load_settings(machine: Path | None = None, user: Path | None = None) -> OrganisationSettings:
    """The settings in force: the defaults, then the machine's file, then what the user's file
    may change. A missing file is no error (unless named by $KEYWORKER_SETTINGS); a bad one is."""
    if machine is None and user is None:
        machine, user = default_paths()
        must_exist = bool(os.environ.get(SETTINGS_ENV))
    else:
        must_exist = False
    settings = OrganisationSettings()
    values: dict[str, Any] = {}
    if machine is not None and (must_exist or machine.exists()):
        values = read_file(machine)
    allowed = values.pop(USER_KEYS, frozenset())
    # No organisation file in force: a laptop outside any deployment, whose user may set
    # everything (as the app lets them choose the idle lock; see user_may_change).
    unmanaged = not values and not allowed
    sources = dict.fromkeys(values, machine)
    if user is not None and user.exists():
        own = read_file(user)
        if USER_KEYS in own:
            raise SettingsError(f"{user}: only the organisation's file may set {USER_KEYS}.")
        for key, value in own.items():
            if key not in allowed and not unmanaged:
                raise SettingsError(
                    f"{user}: {key} is set by the organisation and cannot be changed here; "
                    "remove it from this file."
                )
            values[key] = value
            sources[key] = user
    changes = {KEYS[key][0]: value for key, value in values.items()}
    return replace(
        settings, **changes, users_may_change=allowed, sources=sources, managed=not unmanaged
    )
