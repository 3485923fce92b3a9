"""Desktop speed: unlock to a usable caseload, and filter keystroke latency.

    .venv/bin/python benchmarks/desktop.py [--young-people 2000] [--years 3]

Builds (once, cached under benchmarks/.stores/) a demo caseload, then measures, offscreen:
- unlock: from pressing Unlock (passphrase KDF, opening SQLCipher, caseload query) to the
  caseload table filled and painted;
- filter: each keystroke typed into the filter box until the table has re-filtered and painted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("KEYWORKER_ALLOW_INSECURE_KEYRING", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
STORES = ROOT / "benchmarks" / ".stores"
PASSPHRASE = "benchmark passphrase only"


def ensure_store(young_people: int, years: int) -> Path:
    from keyworker_app.demo import generate_demo
    from keyworker_app.security.device_secret import DeviceSecrets
    from keyworker_app.store import lifecycle

    folder = STORES / f"demo-{young_people}x{years}"
    os.environ.setdefault("XDG_DATA_HOME", str(STORES / "xdg"))  # where the test keyring lives
    if lifecycle.exists(folder) and (folder / "complete").exists():
        return folder
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
    started = time.perf_counter()
    created = lifecycle.create_caseload(
        folder, PASSPHRASE, DeviceSecrets.for_store(folder), user_name="bench"
    )
    generate_demo(created.store, young_people=young_people, seed=7, years=years)
    created.store.close()
    (folder / "complete").write_text("ok")
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
        unlock_times.append(time.perf_counter() - ready[0] + ready[0] - started)
        rows = window.caseload_page.model.total
        page = window.caseload_page
        page.scopes.button(2).setChecked(True)
        page.open_only.setChecked(False)
        for word in ("mohammed", "jones", "demo-01", "ifa"):
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
        "unlock_median_s": statistics.median(unlock_times),
        "unlock_max_s": max(unlock_times),
        "keystroke_p50_ms": statistics.median(keystrokes) * 1000,
        "keystroke_p95_ms": statistics.quantiles(keystrokes, n=20)[18] * 1000,
        "keystroke_max_ms": max(keystrokes) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--young-people", type=int, default=2000)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    folder = ensure_store(args.young_people, args.years)
    figures = measure(folder, args.rounds)
    print(f"caseload rows:            {figures['rows']:.0f}")
    print(
        f"unlock to usable caseload: {figures['unlock_median_s']:.2f} s median, "
        f"{figures['unlock_max_s']:.2f} s max ({args.rounds} rounds)"
    )
    print(
        f"filter keystroke:          {figures['keystroke_p50_ms']:.1f} ms p50, "
        f"{figures['keystroke_p95_ms']:.1f} ms p95, {figures['keystroke_max_ms']:.1f} ms max"
    )


if __name__ == "__main__":
    main()
