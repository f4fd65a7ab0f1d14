"""Field types for request bodies and query strings.

Pydantic's lax mode would quietly turn a number into a timestamp or "yes" into a boolean; a
safeguarding record must say exactly what the caller sent, so these types accept only the JSON shape
they name. Text is checked for what the databases cannot store (NUL, unpaired surrogates), which would
otherwise fail on PostgreSQL as a server error; how long text may be is the services' rule.
"""

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field, StrictBool, StrictInt
from pydantic_core import PydanticCustomError

# Largest id a 64-bit primary key can hold: a bigger number is refused as input, not sent to the database.
ID_MAX = 2**63 - 1


def _clean_text(value: str) -> str:
    if "\x00" in value:
        raise PydanticCustomError("text_nul", "Text must not contain NUL (\\u0000) characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise PydanticCustomError("text_encoding", "Text must be valid Unicode (it contains an unpaired surrogate)") from None
    return value


def _none_to_empty(value):
    return "" if value is None else value


Text = Annotated[str, AfterValidator(_clean_text)]
# Optional text: absent, null and "" all mean "not given".
OptionalText = Annotated[str, BeforeValidator(_none_to_empty), AfterValidator(_clean_text), Field(default="")]

_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _iso_date(value):
    if value == "":
        return None  # an empty query parameter (`?date_of_birth=`) means "not given"
    if value is None or isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or not _DATE.match(value):
        raise PydanticCustomError("date_format", "Enter a date as YYYY-MM-DD, like 2018-07-03")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError("date_impossible", "Enter a real date (this day does not exist)") from None


def _iso_datetime(value):
    if isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str):
        raise PydanticCustomError(
            "datetime_format", "Enter a date and time as an ISO 8601 string with its offset, like 2026-03-02T14:05:00+00:00"
        )
    return value  # pydantic parses it, and refuses impossible dates and times


# "" and null both mean "not given" (not known, or an empty query parameter).
OptionalIsoDate = Annotated[dt.date | None, BeforeValidator(_iso_date), Field(default=None)]
# A naive time is parsed here and refused by the service, which owns the rule and its message.
IsoDateTime = Annotated[dt.datetime, BeforeValidator(_iso_datetime)]

Id = Annotated[StrictInt, Field(ge=1, le=ID_MAX)]
Bool = StrictBool

# Timestamps in responses: ISO 8601 strings with offset (UTC), from `openmash.core.formatting.iso`.
Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
DateString = Annotated[str, Field(json_schema_extra={"format": "date"})]


def choice(choices) -> type:
    """A Literal of a TextChoices' values: validated here and listed as an enum in the OpenAPI document."""
    return Literal[tuple(choices.values)]  # type: ignore[valid-type]
