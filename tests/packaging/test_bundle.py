"""The packaged app (PyInstaller, one folder) on a machine with no Python: it is built from
packaging/keyworker.spec (or taken from $KEYWORKER_BUNDLE), then run with an environment made
from nothing and, where the test may use a mount namespace, with this machine's Python, the
virtual environment and the source checkout hidden behind empty folders. It must start, render
its first screen, create an encrypted caseload, list the templates and print a review pack."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtGui import QImage

from keyworker_app import __version__
from keyworker_app.ui.app import SCREENSHOT_SIZE

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "packaging" / "keyworker.spec"
PASSPHRASE = "bundle check on synthetic data"

pytestmark = pytest.mark.skipif(
    sys.platform != "linux", reason="CI builds and tries the Linux bundle; see packaging/README.md"
)


def _hidden_folders() -> list[Path]:
    """What a laptop without Python lacks: the interpreter's library, the virtual environment,
    and Keyworker's own source, forms and resources."""
    folders = [Path(sysconfig.get_paths()["stdlib"])]
    if sys.prefix != sys.base_prefix:
        folders.append(Path(sys.prefix))
    if Path(sys.base_prefix) not in (Path("/"), Path("/usr"), Path("/usr/local")):
        folders.append(Path(sys.base_prefix))
    folders += [ROOT / "keyworker_app", ROOT / "forms", ROOT / "resources"]
    return [f for f in folders if f.is_dir()]


def _can_hide() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount -t tmpfs none /mnt"],
        capture_output=True,
        timeout=30,
    )
    return probe.returncode == 0


@dataclass
class Bundle:
    executable: Path
    home: Path
    hide: list[Path]

    def __call__(
        self, *args: str, passphrase: bool = True, check: bool = True, **env: str
    ) -> subprocess.CompletedProcess[str]:
        clean = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(self.home),
            "LANG": "C.UTF-8",
            "XDG_DATA_HOME": str(self.home / "data"),
            "XDG_CONFIG_HOME": str(self.home / "config"),
            "XDG_CONFIG_DIRS": str(self.home / "etc-xdg"),
            "XDG_RUNTIME_DIR": str(self.home / "run"),
            "QT_QPA_PLATFORM": "offscreen",
            # No desktop keyring on a test machine: the key goes to a file, with a warning.
            "KEYWORKER_ALLOW_INSECURE_KEYRING": "1",
            **({"KEYWORKER_PASSPHRASE": PASSPHRASE} if passphrase else {}),
            **env,
        }
        command = [str(self.executable), *args]
        if self.hide:
            mounts = " && ".join(f"mount -t tmpfs none '{folder}'" for folder in self.hide)
            command = ["unshare", "-m", "sh", "-c", f'{mounts} && exec "$@"', "sh", *command]
        result = subprocess.run(
            command,
            env=clean,
            capture_output=True,
            text=True,
            timeout=300,
            stdin=subprocess.DEVNULL,
        )
        assert "Traceback" not in result.stderr, result.stderr
        if check:
            assert result.returncode == 0, f"{args}: {result.stderr}"
        return result


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bundle]:
    given = os.environ.get("KEYWORKER_BUNDLE")
    if given:
        folder = Path(given)
    else:
        work = tmp_path_factory.mktemp("pyinstaller")
        build = subprocess.run(
            [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean",
             "--distpath", str(work / "dist"), "--workpath", str(work / "build"), str(SPEC)],
            capture_output=True, text=True, timeout=1800, cwd=ROOT,
        )  # fmt: skip
        assert build.returncode == 0, build.stderr[-4000:]
        folder = work / "dist" / "Keyworker"
    executable = folder / "Keyworker"
    assert executable.is_file(), f"no Keyworker executable in {folder}"
    home = tmp_path_factory.mktemp("clean-home")
    (home / "run").mkdir(mode=0o700)
    yield Bundle(executable, home, _hidden_folders() if _can_hide() else [])


def _picture(path: Path) -> QImage:
    image = QImage(str(path))
    assert not image.isNull(), f"{path} is not a picture"
    return image


def _colours(image: QImage) -> int:
    """How many different colours a grid of samples finds: a blank window has one or two."""
    return len(
        {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}
    )


def test_python_and_the_source_are_out_of_reach(bundle: Bundle) -> None:
    """In the bundle's namespace the interpreter's library and the checkout are empty, so the
    other tests prove the bundle carries all it needs."""
    if not bundle.hide:
        pytest.skip("no mount namespace here; the bundle ran with a clean environment only")
    assert Path(sysconfig.get_paths()["stdlib"]) in bundle.hide
    assert ROOT / "keyworker_app" in bundle.hide
    python = subprocess.run(
        ["unshare", "-m", "sh", "-c",
         " && ".join(f"mount -t tmpfs none '{f}'" for f in bundle.hide)
         + f" && exec '{sys.executable}' -c 'import keyworker_app'"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert python.returncode != 0  # this machine's Python cannot even start there


# What a Linux laptop always has; every other library a native module needs must be in the bundle.
SYSTEM_LIBRARIES = ("linux-vdso", "libc.so", "libm.so", "libpthread.so", "libdl.so", "librt.so",
                    "libgcc_s.so", "libstdc++.so", "ld-linux")  # fmt: skip
NATIVE_MODULES = (
    "sqlcipher3/_sqlite3*.so",  # SQLCipher itself, linked in statically
    "pypdfium2_raw/libpdfium.so",  # the pack preview
    "_rl_accel*.so",
    "uharfbuzz/_harfbuzz*.so",
    "_argon2_cffi_bindings/_ffi*.so",
    "cryptography/hazmat/bindings/_rust*.so",
)


def test_native_modules_need_nothing_from_outside_the_bundle(bundle: Bundle) -> None:
    internal = bundle.executable.parent / "_internal"
    for pattern in NATIVE_MODULES:
        found = sorted(internal.glob(pattern))
        assert found, f"{pattern} is missing from {internal}"
        linked = subprocess.run(
            ["ldd", str(found[0])], capture_output=True, text=True, timeout=60, check=True
        ).stdout
        for line in linked.splitlines():
            assert "not found" not in line, f"{found[0].name}: {line.strip()}"
            name, _, where = line.strip().partition(" => ")
            inside = where.startswith(str(internal))
            system = Path(name.split()[0]).name.startswith(SYSTEM_LIBRARIES)
            assert inside or system, f"{found[0].name} needs {line.strip()} from outside"


def test_the_bundle_says_its_version(bundle: Bundle) -> None:
    assert bundle("--version").stdout.strip() == f"keyworker {__version__}"


def test_the_first_screen_renders_with_its_fonts(bundle: Bundle) -> None:
    shot = bundle.home / "first-run.png"
    bundle("--data-dir", str(bundle.home / "none-yet"), "--screenshot", str(shot), passphrase=False)
    image = _picture(shot)
    assert (image.width(), image.height()) == SCREENSHOT_SIZE
    assert _colours(image) > 40  # text, buttons and fields, not an empty window


def test_a_caseload_is_created_encrypted_used_and_printed(bundle: Bundle) -> None:
    folder = bundle.home / "caseload"
    created = bundle("--data-dir", str(folder), "init", "--user", "test.user")
    assert "recovery code" in created.stdout
    assert not (folder / "caseload.db").read_bytes().startswith(b"SQLite format 3")
    empty = json.loads(bundle("--data-dir", str(folder), "caseload", "--json").stdout)
    assert empty["young_people"] == []
    bundle("--data-dir", str(folder), "demo", "--young-people", "4", "--seed", "3")
    people = json.loads(bundle("--data-dir", str(folder), "caseload", "--json").stdout)
    reference = people["young_people"][0]["reference"]
    assert len(people["young_people"]) == 4
    bundle(
        "--data-dir", str(folder), "add-contact", "--young-person", reference,
        "--type", "home_visit", "--note", "Bundle check: synthetic visit note.",
    )  # fmt: skip
    found = bundle("--data-dir", str(folder), "search", "Bundle check", "--json").stdout
    assert reference in found
    assert "The caseload is whole." in bundle("--data-dir", str(folder), "check").stdout

    templates = json.loads(bundle("forms", "list", "--json").stdout)["templates"]
    assert {"deep_dive_review", "five_ps_formulation"} <= {t["id"] for t in templates}

    pack = bundle.home / "pack.pdf"
    bundle("--data-dir", str(folder), "pack", "--young-person", reference, "--out", str(pack))
    assert pack.read_bytes().startswith(b"%PDF"), "the review pack is not a PDF"
    pages = PdfReader(pack).pages
    assert reference in pages[0].extract_text()
    assert "Page 1 of" in pages[0].extract_text()

    report = bundle.home / "report.pdf"
    bundle(
        "--data-dir", str(folder), "service-report", "--to", str(date.today()),
        "--from", str(date.today() - timedelta(days=3 * 365)),
        "--out", str(report), "--json", str(bundle.home / "report.json"),
    )  # fmt: skip
    assert report.read_bytes().startswith(b"%PDF"), "the service report is not a PDF"
    assert "Service report" in PdfReader(report).pages[0].extract_text()

    shot = bundle.home / "caseload.png"
    bundle("--data-dir", str(folder), "--screenshot", str(shot))
    image = _picture(shot)
    assert (image.width(), image.height()) == SCREENSHOT_SIZE
    assert _colours(image) > 40


def test_the_bundle_reads_the_organisations_settings(bundle: Bundle) -> None:
    example = ROOT / "docs" / "keyworker.example.toml"
    copy = bundle.home / "keyworker.toml"
    copy.write_text(example.read_text(encoding="utf-8"), encoding="utf-8")
    checked = bundle("settings", "--check", str(copy))
    assert checked.stdout.startswith(f"{copy} is a valid settings file")
    bad = bundle.home / "bad.toml"
    bad.write_text("[practice]\nidle_lock_minute = 5\n", encoding="utf-8")
    refused = bundle("caseload", check=False, KEYWORKER_SETTINGS=str(bad))
    assert refused.returncode == 2
    assert "did you mean 'practice.idle_lock_minutes'" in refused.stderr
