"""What every benchmark reports: a figure beside the baseline measured in the same run.

A ratio is always "times the baseline's cost": 1.3 means 30 % slower (or, for a rate, 30 % fewer
records per second) than doing the same thing the plainest way. Figures without a baseline (a
no-op sync, an error count) carry no ratio.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    aim: float | None = None  # the ratio this figure should stay under
    higher_is_better: bool = False  # a rate: the ratio is baseline / value
    group: str = ""
    scale: str = ""  # "1x", "4x", "16x" where the figure is part of a growth series
    detail: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or not self.value or not self.baseline:
            return None
        return self.baseline / self.value if self.higher_is_better else self.value / self.baseline

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ratio"] = None if self.ratio is None else round(self.ratio, 3)
        data["within_aim"] = (
            None if self.aim is None or self.ratio is None else self.ratio <= self.aim
        )
        return data


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def timed(fn: Callable[[], object], rounds: int = 1) -> tuple[float, object]:
    """The median wall time of ``rounds`` calls, and the last call's result."""
    times, result = [], None
    for _ in range(rounds):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def scratch(prefix: str) -> Path:
    """A temporary folder for one benchmark's stores (removed by the runner at the end)."""
    return Path(tempfile.mkdtemp(prefix=f"kw-bench-{prefix}-"))


def machine() -> dict[str, str | int]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kib / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count() or 0,
        "memory": memory,
        "system": f"{platform.system()} {platform.release()}",
        "python": sys.version.split()[0],
    }


def _number(value: float, unit: str) -> str:
    if unit in ("records/s", "syncs", "errors", "pages", "notes"):
        return f"{value:,.0f} {unit}"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "ms":
        return f"{value:.1f} ms" if value < 100 else f"{value:,.0f} ms"
    return f"{value:.3g} {unit}"


def table(figures: Sequence[Figure]) -> str:
    rows = [("figure", "value", "baseline", "ratio", "aim")]
    for f in figures:
        ratio = f.ratio
        rows.append(
            (
                f.name,
                _number(f.value, f.unit),
                (f"{_number(f.baseline, f.unit)} {f.baseline_name}" if f.baseline else "")[:58],
                "" if ratio is None else f"{ratio:.2f}x",
                ""
                if f.aim is None or ratio is None
                else (f"< {f.aim:g} ok" if ratio <= f.aim else f"< {f.aim:g} MISSED"),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def write_json(path: Path, figures: Sequence[Figure], quick: bool, seconds: float) -> None:
    """The figures as JSON, written atomically (a half-written file is never left behind)."""
    document = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": quick,
        "seconds": round(seconds, 1),
        "machine": machine(),
        "command": "make bench QUICK=1" if quick else "make bench",
        "figures": [f.as_json() for f in figures],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    partial.replace(path)


def markdown(path: Path) -> str:
    """A JSON file of figures as the README's table."""
    document = json.loads(path.read_text(encoding="utf-8"))
    lines = ["| figure | value | baseline (same run) | ratio |", "| --- | --- | --- | --- |"]
    for f in document["figures"]:
        baseline = (
            f"{_number(f['baseline'], f['unit'])} {f['baseline_name']}" if f["baseline"] else ""
        )
        ratio = "" if f["ratio"] is None else f"{f['ratio']:.2f}x"
        if f.get("aim") is not None and f["ratio"] is not None:
            ratio += f" (aim < {f['aim']:g})"
        lines.append(f"| {f['name']} | {_number(f['value'], f['unit'])} | {baseline} | {ratio} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(Path(sys.argv[1])))
