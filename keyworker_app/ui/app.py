"""Starting the desktop app, and rendering it to a PNG for ``--screenshot``."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QFontDatabase, QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from keyworker_app.paths import resources_dir
from keyworker_app.ui.main_window import MainWindow, StartOptions
from keyworker_app.ui.style import STYLE

SCREENSHOT_SIZE = (1280, 800)
SCREENSHOT_TIMEOUT_MS = 60_000


def load_bundled_fonts() -> int:
    """Register the fonts shipped in resources/fonts (Ethiopic and Arabic scripts), so names
    written in Tigrinya or Arabic show on machines without those fonts. Returns how many."""
    folder = resources_dir() / "fonts"
    loaded = 0
    for path in sorted(folder.glob("*.ttf")) if folder.is_dir() else []:
        if QFontDatabase.addApplicationFont(str(path)) >= 0:
            loaded += 1
    return loaded


def application() -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv[:1])
        load_bundled_fonts()
    app.setApplicationName("Keyworker")
    app.setOrganizationName("Keyworker")
    app.setApplicationDisplayName("Keyworker")
    icon = resources_dir() / "icons" / "keyworker.png"
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))
    app.setStyleSheet(STYLE)
    return app


def save_png(window: MainWindow, path: Path) -> None:
    """Grab the window and write the PNG atomically."""
    image = window.grab().toImage()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, suffix=".png")
    os.close(fd)
    try:
        if not image.save(temporary, "PNG"):
            raise OSError(f"could not write {path}")
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)


def _no_display() -> bool:
    if os.environ.get("QT_QPA_PLATFORM") or not sys.platform.startswith("linux"):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def tell_settings_problem(message: str, screenshot: Path | None = None) -> int:
    """The organisation's settings file cannot be used: say so, in a window where there is a
    screen (a Start-menu launch has no terminal to read), and do not open the caseload."""
    text = f"{message} Keyworker cannot start until it is put right; ask your IT team."
    print(text, file=sys.stderr)
    offscreen = os.environ.get("QT_QPA_PLATFORM") == "offscreen"
    if screenshot is None and not offscreen and not _no_display():
        application()
        QMessageBox.critical(None, "Keyworker's settings", text)
    return 2


def run(options: StartOptions, screenshot: Path | None = None) -> int:
    """Open the app; with ``screenshot``, render it once loaded, save the PNG and exit."""
    if screenshot is not None and "QT_QPA_PLATFORM" not in os.environ:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # a screenshot needs no screen
    if _no_display():
        print(
            "There is no display to open the window on; run Keyworker on a desktop, "
            "or use --screenshot PATH to render it to a file.",
            file=sys.stderr,
        )
        return 1
    app = application()
    window = MainWindow(options)
    outcome = {"code": 0}
    if screenshot is not None:
        window.resize(*SCREENSHOT_SIZE)

        def shoot() -> None:
            def grab() -> None:
                try:
                    save_png(window, screenshot)
                except OSError as error:
                    print(f"The screenshot could not be saved: {error}.", file=sys.stderr)
                    outcome["code"] = 1
                window.close()
                app.exit(outcome["code"])

            QTimer.singleShot(200, grab)  # let the last layout and paint settle

        def failed(message: str) -> None:
            print(message, file=sys.stderr)
            outcome["code"] = 1
            window.close()
            app.exit(1)

        def too_slow() -> None:
            print(
                "The app did not finish loading within a minute; no screenshot taken.",
                file=sys.stderr,
            )
            window.close()
            app.exit(1)

        window.ready.connect(shoot)
        window.failed.connect(failed)
        QTimer.singleShot(SCREENSHOT_TIMEOUT_MS, too_slow)
        if not options.passphrase:
            QTimer.singleShot(500, shoot)  # nothing to load: the unlock or first-run page
    window.show()
    window.start()
    return app.exec() or outcome["code"]
