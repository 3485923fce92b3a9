"""Where Keyworker's own files are: resources, templates and the default data directory."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

_PACKAGE = Path(__file__).resolve().parent
DATA_DIR_ENV = "KEYWORKER_DATA_DIR"


def _shipped(name: str) -> Path:
    # A wheel (and the packaged app) carries the folder inside the package; a source checkout
    # and an editable install keep it at the top of the project.
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"Keyworker's {name}/ folder is missing; reinstall Keyworker.")


def resources_dir() -> Path:
    return _shipped("resources")


def forms_dir() -> Path:
    return _shipped("forms")


def default_data_dir() -> Path:
    """The caseload's folder: ``KEYWORKER_DATA_DIR`` when set, else the user's data folder."""
    configured = os.environ.get(DATA_DIR_ENV)
    if configured:
        return Path(configured).expanduser()
    return platformdirs.user_data_path("Keyworker", appauthor=False)


def demo_data_dir() -> Path:
    """A separate folder for the synthetic demo caseload, never mixed with real work."""
    return platformdirs.user_data_path("Keyworker Demo", appauthor=False)
