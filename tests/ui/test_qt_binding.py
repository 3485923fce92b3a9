"""Guards against a broken Qt binding: PySide6 6.12.0 released one reference to None on every
call returning nothing, so after some thousands of calls the app crashed."""

import sys

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot


def test_calls_that_return_nothing_keep_none_alive(qtbot: QtBot) -> None:
    label = QLabel()
    qtbot.addWidget(label)
    before = sys.getrefcount(None)
    for _ in range(200):
        label.setText("x")
        QCoreApplication.processEvents()
    assert sys.getrefcount(None) >= before - 20


def test_bundled_fonts_cover_ethiopic_and_arabic_names(qtbot: QtBot) -> None:
    from PySide6.QtGui import QFontDatabase

    from keyworker_app.paths import resources_dir
    from keyworker_app.ui.app import load_bundled_fonts

    assert load_bundled_fonts() == len(list((resources_dir() / "fonts").glob("*.ttf")))
    families = set(QFontDatabase.families())
    assert {"Noto Sans", "Noto Sans Ethiopic", "Noto Naskh Arabic"} <= families
