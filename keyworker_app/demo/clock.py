"""Local (UK) times of day for generated records, without depending on a time-zone database.

Council laptops run Windows, where ``zoneinfo`` needs the optional tzdata package; the UK rule
(BST from the last Sunday in March to the last Sunday in October) is all the demo needs.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta


def _last_sunday(year: int, month: int) -> date:
    last = date(year, month, 31)  # March and October both have 31 days
    return last - timedelta(days=(last.weekday() + 1) % 7)


def uk_moment(day: date, minutes: int) -> datetime:
    """``minutes`` after local midnight on ``day``, as an aware UTC datetime.

    Daytime only: the changeover hours (01:00-02:00) are not distinguished.
    """
    summer = _last_sunday(day.year, 3) <= day < _last_sunday(day.year, 10)
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return midnight + timedelta(minutes=minutes) - timedelta(hours=1 if summer else 0)


def on_or_before(moment: datetime, latest: datetime) -> datetime:
    return moment if moment <= latest else latest
