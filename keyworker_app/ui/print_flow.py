"""Printing the open young person's review pack (Ctrl+P): options, a background build with
progress, then the preview."""

from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import QDialog, QWidget

from keyworker_app.organisation import OrganisationSettings
from keyworker_app.store.caseload_store import Store
from keyworker_app.ui.messages import friendly
from keyworker_app.ui.operations import Operations
from keyworker_app.ui.pack_print import Building, PackOptions, PackPreview, Progress
from keyworker_app.ui.session import Session


class Printing:
    def __init__(
        self,
        ops: Operations,
        session: Session,
        organisation: OrganisationSettings,
        parent: QWidget,
    ) -> None:
        self.ops = ops
        self.session = session
        self.organisation = organisation
        self.parent = parent  # of the dialogs
        self.building: Building | None = None
        self.preview: PackPreview | None = None

    def print_review_pack(self) -> None:
        record = self.session.record
        if self.session.store is None or record is None:
            self.ops.say("Open a young person's record to print their review pack.")
            return
        person = record.person
        options = PackOptions(
            person.reference, f"{person.given_name} {person.family_name}", self.parent
        )
        if options.exec() != QDialog.DialogCode.Accepted:
            return
        request, password = options.request(), options.password()
        building = Building(self.parent)
        progress = Progress()
        progress.step.connect(building.show_step)
        self.building = building
        organisation = self.organisation

        def build(store: Store) -> bytes:
            from keyworker_app.reports.review_pack import build_review_pack

            return build_review_pack(
                store, request, progress=progress.step.emit, organisation=organisation
            )

        def done(pdf: bytes) -> None:
            building.accept()
            if building.cancelled:
                return
            name = f"review-pack-{person.reference}-{date.today().isoformat()}.pdf"
            self.preview = PackPreview(pdf, name, password, self.parent)
            self.preview.show()

        def failed(error: BaseException) -> None:
            building.reject()
            self.ops.say(friendly(error))

        self.ops.run_op(build, done, failed)  # the export is audited
        building.show()

    def forget(self) -> None:
        """At lock: no page of a pack stays open over the unlock page."""
        if self.building is not None:
            self.building.reject()
        if self.preview is not None:
            self.preview.close()
            self.preview.deleteLater()
        self.building = self.preview = None
