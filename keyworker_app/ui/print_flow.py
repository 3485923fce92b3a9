"""Printing from the main window: the open young person's review pack (Ctrl+P)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QDialog

from keyworker_app.ui.messages import friendly
from keyworker_app.ui.pack_print import Building, PackOptions, PackPreview, Progress

if TYPE_CHECKING:
    from keyworker_app.ui.main_window import MainWindow


class PrintFlow:
    """Mixed into MainWindow: options, a background build with progress, then the preview."""

    def print_review_pack(self: MainWindow) -> None:
        store, record = self.store, self.record
        if store is None or record is None:
            self.say("Open a young person's record to print their review pack.")
            return
        person = record.person
        options = PackOptions(person.reference, f"{person.given_name} {person.family_name}", self)
        if options.exec() != QDialog.DialogCode.Accepted:
            return
        request, password = options.request(), options.password()
        building = Building(self)
        progress = Progress()
        progress.step.connect(building.show_step)
        self.pack_building = building  # for tests and for the window to find it

        def build() -> bytes:
            from keyworker_app.reports.review_pack import build_review_pack

            return build_review_pack(
                store, request, progress=progress.step.emit, organisation=self.organisation
            )

        def done(pdf: bytes) -> None:
            building.accept()
            if building.cancelled:
                return
            name = f"review-pack-{person.reference}-{date.today().isoformat()}.pdf"
            self.pack_preview = PackPreview(pdf, name, password, self)
            self.pack_preview.show()

        def failed(error: BaseException) -> None:
            building.reject()
            self.say(friendly(error))

        self.tasks.run(build, done, failed)
        building.show()
