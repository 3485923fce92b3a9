"""Audit the installed dependencies for known vulnerabilities with pip-audit (run by make test).

Fails the build when a dependency has a known vulnerability. When the vulnerability service
cannot be reached (offline, or only a package mirror is reachable) it says so plainly and lets
the build go on: a network problem is not a finding.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any


def verdict(report: dict[str, Any]) -> tuple[int, list[str]]:
    """The exit code and what to print for one pip-audit JSON report."""
    lines: list[str] = []
    dependencies = report.get("dependencies", [])
    vulnerable = [d for d in dependencies if d.get("vulns")]
    unchecked = [d for d in dependencies if d.get("skip_reason")]
    audited = len(dependencies) - len(unchecked)
    for dependency in vulnerable:
        for vuln in dependency["vulns"]:
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
            name = f"{dependency['name']} {dependency.get('version')}"
            lines.append(f"VULNERABLE {name}: {vuln['id']} (fixed in {fixed})")
    if vulnerable:
        lines.append(
            f"dependency audit: {len(vulnerable)} dependencies have known vulnerabilities."
        )
        return 1, lines
    lines.append(
        f"dependency audit: {audited} of {len(dependencies)} dependencies checked, "
        "no known vulnerabilities."
    )
    if unchecked:
        lines.append(
            f"  {len(unchecked)} could not be looked up (e.g. {unchecked[0]['skip_reason']});"
        )
        lines.append("  the vulnerability service is probably out of reach from here.")
    return 0, lines


def main() -> int:
    pip_audit = Path(sys.executable).with_name("pip-audit")
    command = [str(pip_audit), "--skip-editable", "--progress-spinner", "off", "--format", "json"]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as error:
        print(f"dependency audit: not run ({error}); the build goes on.")
        return 0
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"dependency audit: the vulnerability service could not be reached ({last[:160]});")
        print("  the dependencies were not audited this run; the build goes on.")
        return 0
    code, lines = verdict(report)
    print("\n".join(lines))
    return code


if __name__ == "__main__":
    sys.exit(main())
