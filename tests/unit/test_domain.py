import random
import uuid
from datetime import UTC, date, datetime

import pytest

from keyworker_app.domain.dates import age_on, financial_year, parse_day
from keyworker_app.domain.ids import new_id
from keyworker_app.domain.vocabulary import ContactType, PlacementType, RiskCategory


def test_ids_are_uuid_version_7_and_sort_by_time() -> None:
    early = new_id(at=datetime(2024, 1, 1, tzinfo=UTC))
    late = new_id(at=datetime(2025, 1, 1, tzinfo=UTC))
    parsed = uuid.UUID(early)
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122
    assert early < late
    assert int(parsed.hex[:12], 16) == int(datetime(2024, 1, 1, tzinfo=UTC).timestamp() * 1000)


def test_ids_repeat_exactly_from_the_same_seed_and_differ_otherwise() -> None:
    moment = datetime(2024, 6, 1, tzinfo=UTC)
    first = [new_id(at=moment, rng=random.Random(5)) for _ in range(3)]
    second = [new_id(at=moment, rng=random.Random(5)) for _ in range(3)]
    assert first == second
    assert len({new_id() for _ in range(1000)}) == 1000


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (date(2010, 5, 17), date(2026, 5, 16), 15),
        (date(2010, 5, 17), date(2026, 5, 17), 16),
        (date(2008, 2, 29), date(2026, 2, 28), 17),
        (date(2008, 2, 29), date(2026, 3, 1), 18),
    ],
)
def test_age_counts_whole_years(born: date, on: date, age: int) -> None:
    assert age_on(born, on) == age


def test_financial_years_run_april_to_march() -> None:
    assert financial_year(date(2019, 4, 1)) == "2019/20"
    assert financial_year(date(2020, 3, 31)) == "2019/20"
    assert financial_year(date(1999, 12, 1)) == "1999/00"


def test_days_parse_in_iso_and_uk_spreadsheet_forms() -> None:
    assert parse_day("2009-07-14") == date(2009, 7, 14)
    assert parse_day(" 14/07/2009 ") == date(2009, 7, 14)
    with pytest.raises(ValueError, match="YYYY-MM-DD or DD/MM/YYYY"):
        parse_day("2009-13-45")
    with pytest.raises(ValueError, match="not a date"):
        parse_day("14/07/09")


def test_vocabulary_parses_codes_and_names_the_accepted_ones() -> None:
    assert PlacementType.parse(" IFA ") is PlacementType.IFA
    assert PlacementType.IFA.label == "IFA"
    assert ContactType.FACE_TO_FACE.label == "Face to face"
    with pytest.raises(ValueError, match="placement_likely_to_disrupt") as error:
        RiskCategory.parse("very_risky")
    assert "not a risk category" in str(error.value)
