"""The dependency audit run by make test: a known vulnerability fails the build, an
unreachable vulnerability service does not."""

from __future__ import annotations

from tests.tools.audit_dependencies import verdict


def test_a_known_vulnerability_fails_and_names_the_fix() -> None:
    code, lines = verdict(
        {
            "dependencies": [
                {"name": "reportlab", "version": "4.2.0", "vulns": []},
                {
                    "name": "jinja2",
                    "version": "3.1.2",
                    "vulns": [{"id": "GHSA-h5c8-rqwp-cp95", "fix_versions": ["3.1.3"]}],
                },
            ]
        }
    )
    assert code == 1
    assert "VULNERABLE jinja2 3.1.2: GHSA-h5c8-rqwp-cp95 (fixed in 3.1.3)" in lines
    assert "1 dependencies have known vulnerabilities" in lines[-1]


def test_a_clean_audit_passes_and_counts() -> None:
    code, lines = verdict({"dependencies": [{"name": "a", "version": "1", "vulns": []}] * 3})
    assert code == 0
    assert lines == ["dependency audit: 3 of 3 dependencies checked, no known vulnerabilities."]


def test_packages_the_service_could_not_look_up_are_reported_not_failed() -> None:
    code, lines = verdict(
        {"dependencies": [{"name": "a", "skip_reason": "Dependency not found on PyPI"}]}
    )
    assert code == 0
    assert "0 of 1 dependencies checked" in lines[0]
    assert "could not be looked up" in lines[1]
