"""Desktop speed: unlock to a usable caseload, and filter keystroke latency.

    .venv/bin/python benchmarks/desktop.py [--quick]

Builds (once, cached under benchmarks/.stores/) demo caseloads of 125, 500 and 2,000 young
people over 3 years (31, 125 and 500 over 1 year with --quick), then measures, offscreen:
- unlock: from pressing Unlock (passphrase KDF, opening SQLCipher, caseload query) to the
  caseload table filled and painted, against a bare PySide6 window reading the same rows from
  plain SQLite into a QStandardItemModel and painting a QTableView;
- filter: each keystroke typed into the filter box until the table has re-filtered and painted,
  against the same keystrokes into a QSortFilterProxyModel over the bare table.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.qpa.*=false")  # offscreen plugin chatter
os.environ.setdefault("KEYWORKER_ALLOW_INSECURE_KEYRING", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
STORES = ROOT / "benchmarks" / ".stores"
PASSPHRASE = "benchmark passphrase only"
MARKER = "built; device secret in the bench keyring"


def use_bench_keyring() -> None:
    """The cached stores' device secrets live in a file keyring beside them, whatever keyring
    the environment names, so a cached store opens in any later run."""
    import keyring
    from keyrings.alt.file import PlaintextKeyring

    class BenchKeyring(PlaintextKeyring):
        @property
        def file_path(self) -> str:
            return str(STORES / "keyring.cfg")

    if not isinstance(keyring.get_keyring(), BenchKeyring):
        keyring.set_keyring(BenchKeyring())


def ensure_store(young_people: int, years: int) -> Path:
    from keyworker_app.demo import generate_demo
    from keyworker_app.security.device_secret import DeviceSecrets
    from keyworker_app.store import lifecycle

    folder = STORES / f"demo-{young_people}x{years}"
    use_bench_keyring()
    marker = folder / "complete"
    if lifecycle.exists(folder) and marker.exists() and marker.read_text() == MARKER:
        return folder
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
    started = time.perf_counter()
    created = lifecycle.create_caseload(
        folder, PASSPHRASE, DeviceSecrets.for_store(folder), user_name="bench"
    )
    generate_demo(created.store, young_people=young_people, seed=7, years=years)
    created.store.close()
    marker.write_text(MARKER)
    print(
        f"built the {young_people} x {years}-year demo store "
        f"in {time.perf_counter() - started:.1f} s"
    )
    return folder


def measure(folder: Path, rounds: int) -> dict[str, float]:
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from keyworker_app.ui.app import application
    from keyworker_app.ui.main_window import MainWindow, StartOptions

    use_bench_keyring()
    app = application()
    unlock_times = []
    keystrokes: list[float] = []
    rows = 0
    for _ in range(rounds):
        window = MainWindow(StartOptions(data_dir=folder))
        window.resize(1280, 800)
        window.show()
        window.start()
        QApplication.processEvents()
        ready: list[float] = []
        window.ready.connect(lambda ready=ready: ready.append(time.perf_counter()))
        started = time.perf_counter()
        window.unlock(PASSPHRASE)
        while not ready:
            app.processEvents()
            time.sleep(0.001)
        window.caseload_page.table.viewport().repaint()
        unlock_times.append(time.perf_counter() - started)
        rows = window.caseload_page.model.total
        page = window.caseload_page
        page.scopes.button(2).setChecked(True)
        page.open_only.setChecked(False)
        for word in WORDS:
            page.filter.clear()
            app.processEvents()
            for char in word:
                t0 = time.perf_counter()
                QTest.keyClick(page.filter, char)
                page.table.viewport().repaint()
                keystrokes.append(time.perf_counter() - t0)
        window.close()
        app.processEvents()
    return {
        "rows": rows,
        "unlock": unlock_times,
        "keystrokes": keystrokes,
    }


WORDS = ("mohammed", "jones", "demo-01", "ifa")


def bare_rows(folder: Path) -> Path:
    """The caseload's rows as display text in a plain SQLite file (the baseline's data)."""
    import sqlite3

    from keyworker_app.security.device_secret import DeviceSecrets
    from keyworker_app.store import lifecycle
    from keyworker_app.store.caseload import caseload

    target = folder.with_name(folder.name + "-bare.db")
    if target.exists():
        return target
    store = lifecycle.unlock_caseload(folder, PASSPHRASE, DeviceSecrets.for_store(folder))
    with store.reading() as session:
        rows = caseload(session)
    store.close()
    partial = target.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    db = sqlite3.connect(partial)
    db.execute("CREATE TABLE caseload (c0, c1, c2, c3, c4, c5, c6, c7, c8, c9)")
    db.executemany(
        "INSERT INTO caseload VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                r.display_name,
                str(r.age),
                r.reference,
                str(r.placement_type or ""),
                str(r.risk_category or ""),
                r.keyworker or "",
                str(r.last_contact or ""),
                str(r.days_since_contact or ""),
                str(r.open_actions),
                str(r.goal_trend),
            )
            for r in rows
        ],
    )
    db.commit()
    db.close()
    partial.replace(target)
    return target


def measure_bare(rows_file: Path, rounds: int) -> dict[str, list[float]]:
    """The plainest PySide6 equivalent: read the rows from plain SQLite into a
    QStandardItemModel, show them in a QTableView; filter with a QSortFilterProxyModel."""
    import sqlite3

    from PySide6.QtCore import QSortFilterProxyModel, Qt
    from PySide6.QtGui import QStandardItem, QStandardItemModel
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QLineEdit, QTableView, QVBoxLayout, QWidget

    app = QApplication.instance() or QApplication([])
    shown, keystrokes = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        window = QWidget()
        window.resize(1280, 800)
        layout = QVBoxLayout(window)
        line = QLineEdit()
        table = QTableView()
        layout.addWidget(line)
        layout.addWidget(table)
        db = sqlite3.connect(rows_file)
        model = QStandardItemModel(0, 10)
        for row in db.execute("SELECT * FROM caseload"):
            model.appendRow([QStandardItem(cell) for cell in row])
        db.close()
        proxy = QSortFilterProxyModel()
        proxy.setSourceModel(model)
        proxy.setFilterKeyColumn(-1)
        proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        table.setModel(proxy)
        line.textChanged.connect(proxy.setFilterFixedString)
        window.show()
        app.processEvents()
        table.viewport().repaint()
        shown.append(time.perf_counter() - started)
        for word in WORDS:
            line.clear()
            app.processEvents()
            for char in word:
                t0 = time.perf_counter()
                QTest.keyClick(line, char)
                table.viewport().repaint()
                keystrokes.append(time.perf_counter() - t0)
        window.close()
        app.processEvents()
    return {"unlock": shown, "keystrokes": keystrokes}


def key_derivation_seconds(folder: Path) -> float:
    """The deliberate cost in every unlock: Argon2id with the store's calibrated parameters."""
    from keyworker_app.security.kdf import derive
    from keyworker_app.security.keys import KeyFile

    params = KeyFile.read(folder).kdf
    started = time.perf_counter()
    derive(PASSPHRASE.encode(), os.urandom(16), params)
    return time.perf_counter() - started


def figures(quick: bool) -> list:  # type: ignore[type-arg]
    from harness import Figure, median, percentile

    years = 1 if quick else 3
    top = 500 if quick else 2000
    rounds = 3
    out = []
    for scale in (1, 4, 16):
        people = top * scale // 16
        folder = ensure_store(people, years)
        ours = measure(folder, rounds)
        bare = measure_bare(bare_rows(folder), rounds)
        size = f"{people:,} young people x {years} y"
        tag = f"{scale}x"
        plain = "bare QTableView of the same rows"
        out.append(
            Figure(
                f"desktop unlock to usable caseload ({size})",
                median(ours["unlock"]),
                "s",
                median(bare["unlock"]),
                plain + " from plain SQLite",
                group="desktop",
                scale=tag,
                detail="includes the deliberate Argon2id key derivation",
            )
        )
        out.append(
            Figure(
                f"desktop filter keystroke p50 ({size})",
                median(ours["keystrokes"]) * 1e3,
                "ms",
                median(bare["keystrokes"]) * 1e3,
                plain + " + QSortFilterProxyModel",
                group="desktop",
                scale=tag,
            )
        )
        out.append(
            Figure(
                f"desktop filter keystroke p95 ({size})",
                percentile(ours["keystrokes"], 0.95) * 1e3,
                "ms",
                percentile(bare["keystrokes"], 0.95) * 1e3,
                plain + " + QSortFilterProxyModel",
                group="desktop",
                scale=tag,
            )
        )
        print(f"  desktop {tag}: {size} measured", file=sys.stderr, flush=True)
    kdf = key_derivation_seconds(folder)
    out.append(
        Figure(
            f"desktop unlock less key derivation ({size})",
            median(ours["unlock"]) - kdf,
            "s",
            median(bare["unlock"]),
            plain + " from plain SQLite",
            group="desktop",
            scale=tag,
            detail="opening SQLCipher, the caseload query and painting the table",
        )
    )
    out.append(
        Figure(
            "desktop unlock: Argon2id key derivation alone",
            key_derivation_seconds(folder),
            "s",
            group="desktop",
            detail="deliberately slow, calibrated per machine (at least 0.25 s)",
        )
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    from harness import table

    print(table(figures(args.quick)))


if __name__ == "__main__":
    main()
