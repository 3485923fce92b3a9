"""Writes tests/data/store-v0001/: a caseload saved by the first schema (revision 0001).

Kept so the upgrade path is tested against a real old file, not a fresh one. The data is
synthetic and the passphrase and device secret are published here on purpose. Run from the
project root: ``.venv/bin/python tests/data/make_store_v0001.py``.
"""

from __future__ import annotations

import base64
import json
import shutil
import sys
from pathlib import Path

from sqlalchemy import text

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent.parent))

from keyworker_app.security.device_secret import DeviceSecrets  # noqa: E402
from keyworker_app.security.kdf import Argon2Params  # noqa: E402
from keyworker_app.security.keys import create_keys  # noqa: E402
from keyworker_app.store.engine import create_store_engine  # noqa: E402
from keyworker_app.store.schema import upgrade  # noqa: E402

PASSPHRASE = "old schema test passphrase"
STORE_ID = "0190f5a0-0000-7000-8000-000000000001"


class _Keyring:
    priority = 1

    def __init__(self) -> None:
        self.value: str | None = None

    def set_password(self, service: str, user: str, password: str) -> None:
        self.value = password


def main() -> None:
    target = HERE / "store-v0001"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir()
    ring = _Keyring()
    secrets = DeviceSecrets(target, ring)  # type: ignore[arg-type]
    data_key, recovery = create_keys(
        target, STORE_ID, PASSPHRASE, secrets, params=Argon2Params(time_cost=1, memory_kib=1024)
    )
    engine = create_store_engine(target / "caseload.db", data_key)
    upgrade(engine, "0001")
    rows = [
        "INSERT INTO store_setting VALUES ('device_id', '0190f5a0-0000-7000-8000-0000000000d1')",
        "INSERT INTO store_setting VALUES ('user_name', 'old.tester')",
        "INSERT INTO team (id, version, name, deleted) VALUES ('t1', 1, 'Old Hub', 0)",
        "INSERT INTO young_person (id, version, reference, given_name, family_name, date_of_birth,"
        " uasc, restricted, team_id, status, deleted) VALUES ('y1', 1, 'OLD-1', 'Yonas', 'Haile',"
        " '2009-02-03', 1, 0, 't1', 'open', 0)",
        "INSERT INTO contact (id, version, young_person_id, occurred_at, contact_type, present,"
        " narrative, worries, significant, status, deleted) VALUES ('c1', 1, 'y1',"
        " '2024-05-01T10:00:00.000000+00:00', 'home_visit', '[]', 'Played chess at the hub',"
        " '[]', 0, 'final', 0)",
        "INSERT INTO search_document VALUES (1, 'contact', 'c1', 'y1',"
        " '2024-05-01T10:00:00.000000+00:00')",
        "INSERT INTO search_text (rowid, body) VALUES (1, 'Played chess at the hub')",
    ]
    with engine.connect() as connection, connection.begin():
        for statement in rows:
            connection.execute(text(statement))
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    (target / "secrets.json").write_text(
        json.dumps(
            {
                "passphrase": PASSPHRASE,
                "device_secret": ring.value,
                "recovery_code": recovery,
                "store_id": STORE_ID,
                "note": "synthetic test data; these secrets are published on purpose",
            },
            indent=2,
        )
    )
    assert ring.value and base64.b64decode(ring.value)
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
