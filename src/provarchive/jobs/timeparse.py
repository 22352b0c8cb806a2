"""Parsing client-given instants (DESTRUCTION, AFTER): ISO 8601, read as UTC."""

from __future__ import annotations

from datetime import UTC, datetime

from .models import utc_ms

__all__ = ["parse_utc"]


def parse_utc(text: str) -> datetime:
    """An ISO 8601 instant as an aware UTC datetime (ms precision); no zone means UTC.

    UWS asks clients for UTC with ``Z``; a value without a zone is read as UTC rather
    than refused, and any explicit offset is converted.
    """
    value = text.strip()
    if not value:
        raise ValueError("an ISO 8601 date-time is required, e.g. 2030-01-01T00:00:00Z")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 date-time such as 2030-01-01T00:00:00Z") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return utc_ms(moment)
