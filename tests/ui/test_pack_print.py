"""Printing a review pack from the app: options, a background build with progress, a preview of
the real pages, then saving (encrypted when a password is given)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtWidgets import QDialog, QFileDialog
from pytestqt.qtbot import QtBot

from keyworker_app.ui.main_window import MainWindow
from keyworker_app.ui.pack_print import PackOptions
from tests.ui.conftest import PASSPHRASE, unlocked
from tests.ui.test_main_window import open_first_record

Make = Callable[..., MainWindow]


# The offscreen platform says this whenever a second top-level window (a dialog) is shown.
@pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")
def test_a_pack_is_previewed_then_saved_encrypted(
    qtbot: QtBot,
    make_window: Make,
    caseload_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    window = unlocked(qtbot, make_window(caseload_dir, passphrase=PASSPHRASE))
    open_first_record(qtbot, window)
    chosen: list[PackOptions] = []

    def choose(options: PackOptions) -> int:
        options.sections["contacts"].setChecked(False)
        options.password1.setText("pack password 7")
        options.password2.setText("pack password 7")
        options.grab().save(str(tmp_path / "options.png"))
        chosen.append(options)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(PackOptions, "exec", choose)
    window.printing.print_review_pack()
    qtbot.waitUntil(lambda: window.printing.preview is not None, timeout=30000)
    preview = window.printing.preview
    assert window.printing.building.steps_seen[0] == "Summary"  # progress reached the window
    assert "Contacts" not in window.printing.building.steps_seen
    pages = len(PdfReader(io.BytesIO(preview.pdf)).pages)
    assert len(preview.pages) == pages >= 2
    first = preview.pages[0]
    assert first.width() == 760 and first.height() > 1000
    inked = {
        first.pixel(x, y) for x in range(0, first.width(), 5) for y in range(0, first.height(), 5)
    }
    assert len(inked) > 10  # drawn pages, not blank ones
    preview.grab().save(str(tmp_path / "preview.png"))
    target = tmp_path / "pack"
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (str(target), "PDF (*.pdf)"))
    )
    preview.save()
    saved = target.with_suffix(".pdf")
    assert preview.saved_to == saved
    reader = PdfReader(saved)
    assert reader.is_encrypted and reader.decrypt("pack password 7") != 0
    assert "OFFICIAL-SENSITIVE" in reader.pages[0].extract_text()
    # Printing paints every page onto the printer (here a PDF printer, read back).
    from PySide6.QtPrintSupport import QPrinter

    printer = QPrinter(QPrinter.PrinterMode.ScreenResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    preview.paint(printer)
    assert len(PdfReader(tmp_path / "printed.pdf").pages) == pages


def test_the_options_refuse_an_empty_or_backwards_choice(qtbot: QtBot) -> None:
    options = PackOptions("REF-1", "Test Person")
    qtbot.addWidget(options)
    assert options.problem_text() == ""
    for check in options.sections.values():
        check.setChecked(False)
    assert "at least one section" in options.problem_text()
    options.sections["summary"].setChecked(True)
    options.password1.setText("one")
    options.password2.setText("two")
    assert "not the same" in options.problem_text()
    options.password2.setText("one")
    options.start.setDate(options.end.date().addDays(1))
    assert "starts after it ends" in options.problem_text()
    request = options.request()
    assert request.reference == "REF-1" and request.sections == ["summary"]
