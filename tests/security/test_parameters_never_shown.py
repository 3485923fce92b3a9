"""Statement parameters carry names and notes: they never appear in a database error's text
(which could reach a log or a bug report) on the laptop or on the central store."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from keyworker_app.server.database import open_database
from keyworker_app.store.caseload_store import Store

NOTE = "Zebedee Quillfeather said marmalade-lighthouse"


def test_a_failing_statement_on_the_laptop_does_not_show_its_parameters(store: Store) -> None:
    with pytest.raises(DBAPIError) as caught, store.engine.connect() as connection:
        connection.execute(text("INSERT INTO no_such_table VALUES (:note)"), {"note": NOTE})
    assert "no_such_table" in str(caught.value)  # the error itself is still useful
    assert "Zebedee" not in str(caught.value)


def test_a_failing_statement_on_the_central_store_does_not_show_its_parameters(
    tmp_path: Path,
) -> None:
    database = open_database(data_dir=tmp_path / "central")
    try:
        with pytest.raises(DBAPIError) as caught, database.session() as session:
            session.execute(text("INSERT INTO no_such_table VALUES (:note)"), {"note": NOTE})
        assert "no_such_table" in str(caught.value)
        assert "Zebedee" not in str(caught.value)
    finally:
        database.dispose()
