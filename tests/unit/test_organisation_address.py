"""The organisation's central store address follows the laptop's rule: https://, or plain
http:// only to this computer, so a settings file cannot send every laptop's sync in clear."""

from __future__ import annotations

from pathlib import Path

import pytest

from keyworker_app.organisation import SettingsError, load_settings


def settings_with(folder: Path, url: str) -> Path:
    path = folder / "keyworker.toml"
    path.write_text(f'[central_store]\nurl = "{url}"\n', encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "url", ["http://keyworker.northshire.example", "http://10.1.2.3:8765", "http://x@127.0.0.1"]
)
def test_plain_http_to_another_machine_is_refused_naming_the_file_and_key(
    tmp_path: Path, url: str
) -> None:
    path = settings_with(tmp_path, url)
    with pytest.raises(SettingsError) as refused:
        load_settings(path, None)
    assert str(refused.value) == (
        f'{path}: central_store.url must be an address like "https://keyworker.example.gov.uk" '
        "(plain http:// only to this computer)."
    )


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://Keyworker.Northshire.example/", "https://keyworker.northshire.example"),
        ("http://127.0.0.1:8765/", "http://127.0.0.1:8765"),
        ("http://localhost:8765", "http://localhost:8765"),
    ],
)
def test_https_and_http_to_this_computer_are_kept(tmp_path: Path, url: str, kept: str) -> None:
    assert load_settings(settings_with(tmp_path, url), None).central_store_url == kept
