"""The caseload table model and its filter, tested without any widget."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from PySide6.QtCore import QPersistentModelIndex, Qt
from pytestqt.modeltest import ModelTester

from keyworker_app.domain.goals import Trend
from keyworker_app.domain.vocabulary import CaseStatus, PlacementType, RiskCategory
from keyworker_app.store.caseload import CaseloadRow, Scope
from keyworker_app.ui.caseload_model import (
    ACTIONS,
    AGE,
    DAYS,
    LAST_CONTACT,
    NAME,
    OVERDUE_BRUSH,
    PLACEMENT,
    ROW_ROLE,
    SORT_ROLE,
    TREND,
    CaseloadTableModel,
)

BASE = CaseloadRow(
    young_person_id="a",
    reference="YP-1",
    given_name="Siân",
    family_name="Llŷr",
    preferred_name=None,
    date_of_birth=date(2010, 1, 1),
    age=16,
    status=CaseStatus.OPEN,
    legal_status=None,
    restricted=False,
    uasc=False,
    team="North",
    keyworker="Asha Patel",
    keyworker_user_name="asha",
    placement_type=PlacementType.IFA,
    risk_category=RiskCategory.PLACEMENT_LIKELY_TO_DISRUPT,
    last_contact=datetime(2026, 11, 1, 12, tzinfo=UTC),
    days_since_contact=12,
    visiting_standard_days=7,
    open_actions=3,
    overdue_actions=1,
    goal_trend=Trend.IMPROVING,
)
ROWS = [
    BASE,
    replace(
        BASE,
        young_person_id="b",
        reference="YP-2",
        given_name="Jakub",
        family_name="Nowak",
        preferred_name="Kuba",
        keyworker="Tom Rees",
        keyworker_user_name="tom",
        team="South",
        days_since_contact=2,
        overdue_actions=0,
        age=12,
    ),
    replace(
        BASE,
        young_person_id="c",
        reference="YP-3",
        given_name="ሰላም",
        family_name="ተስፋይ",
        preferred_name="Selam",
        status=CaseStatus.CLOSED,
        days_since_contact=None,
        last_contact=None,
    ),
]


def model_with_rows(open_only: bool = False) -> CaseloadTableModel:
    model = CaseloadTableModel()
    model.set_open_only(open_only)
    model.set_rows(ROWS)
    return model


def test_the_model_passes_qts_own_consistency_checks(qtmodeltester: ModelTester) -> None:
    qtmodeltester.check(model_with_rows())


def test_cells_show_what_a_worker_reads() -> None:
    model = model_with_rows()
    text = lambda r, c: model.data(model.index(r, c))  # noqa: E731
    assert text(0, NAME) == "Siân Llŷr"
    assert text(1, NAME) == "Kuba Nowak"
    assert text(2, NAME) == "Selam ተስፋይ (closed)"
    assert text(0, PLACEMENT) == "IFA"
    assert text(0, ACTIONS) == "3 (1)"
    assert text(0, TREND) == "↑ improving"
    assert text(2, DAYS) == "–"
    assert model.data(model.index(0, AGE), SORT_ROLE) == 16
    assert model.data(model.index(1, NAME), ROW_ROLE).reference == "YP-2"


def test_past_the_visiting_standard_is_highlighted() -> None:
    model = model_with_rows()
    assert model.data(model.index(0, DAYS), Qt.ItemDataRole.ForegroundRole) == OVERDUE_BRUSH
    assert model.data(model.index(1, DAYS), Qt.ItemDataRole.ForegroundRole) is None
    assert "visiting standard of 7 days" in model.data(
        model.index(0, DAYS), Qt.ItemDataRole.ToolTipRole
    )


def visible(model: CaseloadTableModel) -> list[str]:
    return [model.data(model.index(r, 0), ROW_ROLE).reference for r in range(model.rowCount())]


def test_the_filter_narrows_by_scope_status_and_words() -> None:
    model = model_with_rows(open_only=True)
    proxy = model
    proxy.set_user("asha", "North")
    assert visible(proxy) == ["YP-1", "YP-2"]  # closed case hidden
    proxy.set_open_only(False)
    assert len(visible(proxy)) == 3
    proxy.set_scope(Scope.MINE)
    assert visible(proxy) == ["YP-1", "YP-3"]
    proxy.set_scope(Scope.TEAM)
    assert visible(proxy) == ["YP-1", "YP-3"]
    proxy.set_scope(Scope.ALL)
    proxy.set_text("sian")  # accents ignored
    assert visible(proxy) == ["YP-1"]
    proxy.set_text("kuba rees")  # every word, across name and keyworker
    assert visible(proxy) == ["YP-2"]
    proxy.set_text("ተስፋይ")
    assert visible(proxy) == ["YP-3"]


def test_sorting_uses_real_values_not_text() -> None:
    model = model_with_rows()
    proxy = model
    proxy.sort(DAYS, Qt.SortOrder.AscendingOrder)
    assert visible(proxy) == ["YP-2", "YP-1", "YP-3"]  # never-seen sorts last
    proxy.sort(AGE, Qt.SortOrder.AscendingOrder)
    assert visible(proxy)[0] == "YP-2"


def test_new_rows_reset_the_model() -> None:
    model = model_with_rows()
    proxy = model
    proxy.set_text("nowak")
    assert visible(proxy) == ["YP-2"]
    model.set_rows([replace(ROWS[1], family_name="Kowalski")])
    assert visible(proxy) == []  # the search text was rebuilt for the new rows
    proxy.set_text("")
    assert visible(proxy) == ["YP-2"]
    model.clear()
    assert model.rowCount() == 0


def test_re_read_rows_change_in_place_and_the_selection_follows_its_row() -> None:
    model = model_with_rows()
    model.sort(DAYS, Qt.SortOrder.AscendingOrder)
    assert visible(model) == ["YP-2", "YP-1", "YP-3"]
    selected = QPersistentModelIndex(model.index(1, NAME))  # YP-1, as a view's selection holds it
    changed: list[int] = []
    model.dataChanged.connect(lambda top, _bottom: changed.append(top.row()))
    resets: list[bool] = []
    model.modelReset.connect(lambda: resets.append(True))

    seen = datetime(2026, 11, 12, 9, tzinfo=UTC)
    assert model.update_rows([replace(ROWS[1], last_contact=seen, days_since_contact=2)])
    assert changed == [0] and resets == []  # YP-2 stayed first: only its cells changed
    assert model.data(model.index(0, LAST_CONTACT), ROW_ROLE).last_contact == seen

    # Seen today, YP-1 moves to the top; the selection moves with it.
    assert model.update_rows([replace(ROWS[0], days_since_contact=0)])
    assert visible(model) == ["YP-1", "YP-2", "YP-3"] and resets == []
    assert selected.row() == 0 and model.data(selected, ROW_ROLE).reference == "YP-1"
    # Someone new: the caller sets the whole list.
    assert not model.update_rows([replace(ROWS[0], young_person_id="d", reference="YP-4")])
    assert visible(model) == ["YP-1", "YP-2", "YP-3"]
