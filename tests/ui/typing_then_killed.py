"""Child process for the kill test: opens the app, types a contact, reports when the draft has
saved itself, keeps typing, and waits to be killed."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtTest import QTest

from keyworker_app.ui.app import application
from keyworker_app.ui.main_window import MainWindow, StartOptions


def main() -> None:
    folder, passphrase, text = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    app = application()
    window = MainWindow(StartOptions(data_dir=folder, passphrase=passphrase))
    window.show()
    steps = iter(["open", "type", "wait"])

    def next_step() -> None:
        step = next(steps, None)
        if step == "open":
            row = window.caseload_page.model.row_at(0)
            window.open_record(row.young_person_id, None, view="contacts", then_edit="new")
        elif step == "type":
            QTest.keyClicks(window.editor.narrative, text)
            poll()

    def poll() -> None:
        if window.editor.state.text().startswith("Draft saved"):
            print("SAVED", flush=True)
            QTest.keyClicks(window.editor.narrative, " and more words typed just now")
            return
        QTimer.singleShot(100, poll)

    window.ready.connect(next_step)
    window.start()
    app.exec()


if __name__ == "__main__":
    main()
