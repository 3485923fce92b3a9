"""Printing a review pack from the app: choose the period and sections, watch it being built
(in the background: the window stays responsive), preview the pages, then save or print.

The PDF stays in memory until the user saves it; the preview renders pages with pypdfium2.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pypdfium2
from PySide6.QtCore import QDate, QObject, Qt, Signal
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from keyworker_app.reports.pack_sections import TITLES
from keyworker_app.reports.review_pack import PackRequest


class PackOptions(QDialog):
    """What goes in the pack. ``request()`` and ``password()`` once accepted."""

    def __init__(self, reference: str, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.reference = reference
        self.setWindowTitle(f"Print review pack — {name}")
        layout = QVBoxLayout(self)
        form = QFormLayout()
        today = date.today()
        self.start = QDateEdit(QDate(today - timedelta(days=365)))
        self.end = QDateEdit(QDate(today))
        for edit in (self.start, self.end):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("dd MMM yyyy")
        period = QHBoxLayout()
        period.addWidget(self.start)
        period.addWidget(QLabel("to"))
        period.addWidget(self.end)
        period.addStretch(1)
        form.addRow("Period", period)
        self.prepared_for = QLineEdit()
        self.prepared_for.setPlaceholderText("e.g. Placement review panel")
        form.addRow("Prepared for", self.prepared_for)
        layout.addLayout(form)
        box = QGroupBox("Sections")
        grid = QGridLayout(box)
        self.sections: dict[str, QCheckBox] = {}
        for index, (code, title) in enumerate(TITLES.items()):
            check = QCheckBox(title)
            check.setChecked(True)
            self.sections[code] = check
            grid.addWidget(check, index // 2, index % 2)
        layout.addWidget(box)
        self.redact = QCheckBox("Withhold the names of third parties")
        layout.addWidget(self.redact)
        secure = QFormLayout()
        self.password1 = QLineEdit()
        self.password2 = QLineEdit()
        for edit in (self.password1, self.password2):
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password1.setPlaceholderText("optional: the PDF will need it to open")
        secure.addRow("Password", self.password1)
        secure.addRow("Password again", self.password2)
        layout.addLayout(secure)
        self.problem = QLabel()
        self.problem.setObjectName("problem")
        self.problem.setStyleSheet("color: #9b2c2c")
        self.problem.setWordWrap(True)
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.preview = QPushButton("Preview")
        self.preview.setDefault(True)
        buttons.addButton(self.preview, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _check(self) -> None:
        problem = self.problem_text()
        self.problem.setText(problem)
        if not problem:
            self.accept()

    def problem_text(self) -> str:
        if not any(c.isChecked() for c in self.sections.values()):
            return "Tick at least one section to print."
        if self.start.date() > self.end.date():
            return "The period starts after it ends; choose an earlier start."
        if self.password1.text() != self.password2.text():
            return "The two passwords are not the same; type them again."
        return ""

    def request(self) -> PackRequest:
        return PackRequest(
            reference=self.reference,
            start=self.start.date().toPython(),  # type: ignore[arg-type]
            end=self.end.date().toPython(),  # type: ignore[arg-type]
            sections=[code for code, check in self.sections.items() if check.isChecked()],
            redact=self.redact.isChecked(),
            prepared_for=self.prepared_for.text().strip(),
        )

    def password(self) -> str | None:
        return self.password1.text() or None


class Progress(QObject):
    """Carries progress from the store worker to the GUI thread (a queued signal)."""

    step = Signal(str)


class Building(QDialog):
    """Shown while the pack is built: which section, and a way to stop waiting."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Building the review pack")
        self.cancelled = False
        layout = QVBoxLayout(self)
        self.label = QLabel("Starting…")
        self.bar = QProgressBar()
        self.bar.setRange(0, len(TITLES) + 1)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        buttons.rejected.connect(self._cancel)
        layout.addWidget(buttons)
        self.steps_seen: list[str] = []
        self.setMinimumWidth(360)

    def show_step(self, text: str) -> None:
        self.steps_seen.append(text)
        self.label.setText(f"{text}…")
        self.bar.setValue(min(self.bar.maximum(), len(self.steps_seen)))

    def _cancel(self) -> None:
        self.cancelled = True  # the result is thrown away when it arrives
        self.reject()


def page_images(pdf: bytes, width_px: int) -> list[QImage]:
    """Each page drawn ``width_px`` wide."""
    document = pypdfium2.PdfDocument(pdf)
    images = []
    try:
        for index in range(len(document)):
            page = document[index]
            scale = width_px / page.get_width()
            bitmap = page.render(scale=scale, rev_byteorder=True)
            fmt = (
                QImage.Format.Format_RGBA8888
                if bitmap.n_channels == 4
                else QImage.Format.Format_RGB888
            )
            image = QImage(
                bytes(bitmap.buffer), bitmap.width, bitmap.height, bitmap.stride, fmt
            ).copy()  # own the pixels: the bitmap's buffer goes with it
            images.append(image)
            page.close()
    finally:
        document.close()
    return images


class PackPreview(QDialog):
    """The pages as they will print, with Save and Print."""

    def __init__(
        self, pdf: bytes, suggested_name: str, password: str | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.pdf = pdf
        self.password = password
        self.suggested_name = suggested_name
        self.saved_to: Path | None = None
        self.setWindowTitle("Review pack preview")
        self.resize(820, 900)
        layout = QVBoxLayout(self)
        self.pages = page_images(pdf, 760)
        self.count = QLabel(
            f"{len(self.pages)} pages"
            + (" · the saved file will need its password to open" if password else "")
        )
        layout.addWidget(self.count)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        inner = QWidget()
        column = QVBoxLayout(inner)
        column.setSpacing(12)
        for number, image in enumerate(self.pages, start=1):
            label = QLabel()
            label.setPixmap(QPixmap.fromImage(image))
            label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            label.setAccessibleName(f"Page {number} of {len(self.pages)}")
            label.setStyleSheet("border: 1px solid #cbd2d9; background: white;")
            column.addWidget(label)
        scroll.setWidget(inner)
        scroll.setStyleSheet("QScrollArea { background: #e4e7eb; }")
        layout.addWidget(scroll, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.save_button = QPushButton("Save PDF…")
        self.print_button = QPushButton("Print…")
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.print_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.save_button.clicked.connect(self.save)
        self.print_button.clicked.connect(self.print_pages)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def save(self) -> None:
        from keyworker_app.reports.pdf_document import PdfError, save_pdf

        path, _ = QFileDialog.getSaveFileName(
            self, "Save the review pack", str(Path.home() / self.suggested_name), "PDF (*.pdf)"
        )
        if not path:
            return
        target = Path(path)
        if target.suffix.lower() != ".pdf":
            target = target.with_suffix(".pdf")
        try:
            save_pdf(self.pdf, target, password=self.password)
        except (PdfError, OSError) as error:
            QMessageBox.warning(self, "Not saved", str(error))
            return
        self.saved_to = target
        self.count.setText(f"{len(self.pages)} pages · saved to {target}")

    def print_pages(self) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self.paint(printer)

    def paint(self, printer: QPrinter) -> None:
        """Each page rendered at the printer's resolution, fitted to its page."""
        area = printer.pageLayout().paintRectPixels(printer.resolution())
        images = page_images(self.pdf, area.width())
        painter = QPainter(printer)
        try:
            for index, image in enumerate(images):
                if index:
                    printer.newPage()
                fitted = image.scaled(
                    area.size(),
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
                painter.drawImage(0, 0, fitted)
        finally:
            painter.end()
