"""The menu bar, declared as a table of items, and the small boxes its Settings and Help items
open."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMessageBox, QWidget

from keyworker_app.forms.library import TemplateLibrary
from keyworker_app.organisation import OrganisationSettings


@dataclass(frozen=True)
class Item:
    text: str
    slot: Callable[[], object]
    keys: QKeySequence | QKeySequence.StandardKey | str = ""
    enabled: bool = True


SEPARATOR = None


def add_menus(window: QMainWindow, menus: dict[str, list[Item | None]]) -> None:
    """Each menu with its items; shortcuts work anywhere in the window."""
    for title, items in menus.items():
        menu = window.menuBar().addMenu(title)
        for item in items:
            if item is None:
                menu.addSeparator()
                continue
            action = QAction(item.text, window)
            action.setShortcut(QKeySequence(item.keys))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(item.slot)
            action.setEnabled(item.enabled)
            window.addAction(action)
            menu.addAction(action)


def show_about(parent: QWidget, organisation: OrganisationSettings) -> None:
    from keyworker_app import __version__

    name = organisation.name or "your organisation"
    QMessageBox.about(
        parent,
        "About Keyworker",
        f"Keyworker {__version__}\n\nSet up for {name}. Central store: "
        f"{organisation.central_store_url or 'chosen at sign-in'}.\n\nYour caseload "
        "is kept encrypted on this laptop.",
    )


def show_template_problems(parent: QWidget, library: TemplateLibrary) -> None:
    problems = library.problems
    text = (
        "\n\n".join(str(p) for p in problems)
        if problems
        else "Every template file loaded without a problem."
    )
    QMessageBox.information(parent, "Template files", text)
