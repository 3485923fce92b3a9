"""Dates as the service counts them: ages, financial years, days since a contact."""

from __future__ import annotations

from datetime import UTC, date, datetime


def utc_now() -> datetime:
    return datetime.now(UTC)


def age_on(date_of_birth: date, on: date) -> int:
    """Age in whole years on a day (a birthday on 29 February counts from 1 March)."""
    years = on.year - date_of_birth.year
    if (on.month, on.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return years


def financial_year(day: date) -> str:
    """The UK public-sector financial year (April to March) holding ``day``, e.g. "2019/20"."""
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}/{(start + 1) % 100:02d}"


def parse_day(text: str) -> date:
    """A day written as YYYY-MM-DD or DD/MM/YYYY (as UK spreadsheets save it).

    Raises ValueError with a sentence saying what was expected.
    """
    value = text.strip()
    try:
        if "/" in value:
            day, month, year = value.split("/")
            if len(year) != 4:
                raise ValueError
            return date(int(year), int(month), int(day))
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"'{text}' is not a date; write it as YYYY-MM-DD or DD/MM/YYYY") from None
