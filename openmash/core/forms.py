"""Form fields that follow the GOV.UK Design System patterns.

Django forms parse and check the shape of what was typed (a real date, a number); the business rules
live in the services, whose errors are attached back to the same fields (`apply_service_errors`).
"""

import datetime as dt
import re
from zoneinfo import ZoneInfo

from django import forms

from openmash.core.errors import ServiceError

LONDON = ZoneInfo("Europe/London")


class GovukDateWidget(forms.MultiWidget):
    """Three inputs named `<name>-day`, `<name>-month`, `<name>-year` (the GOV.UK date input)."""

    template_name = "django/forms/widgets/multiwidget.html"

    def __init__(self, attrs=None):
        super().__init__([forms.TextInput(), forms.TextInput(), forms.TextInput()], attrs)

    def decompress(self, value):
        if isinstance(value, dt.date):
            return [value.day, value.month, value.year]
        return [None, None, None]

    def value_from_datadict(self, data, files, name):
        return [data.get(f"{name}-{part}", "").strip() for part in ("day", "month", "year")]

    def value_omitted_from_data(self, data, files, name):
        return not any(f"{name}-{part}" in data for part in ("day", "month", "year"))


class GovukDateField(forms.Field):
    """A date given as day, month and year, with the GOV.UK error messages."""

    widget = GovukDateWidget

    def __init__(self, *, label_text: str, **kwargs):
        self.label_text = label_text
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, dt.date):
            return value
        day, month, year = (value or ["", "", ""])[:3]
        if not any((day, month, year)):
            return None
        missing = [name for name, v in (("day", day), ("month", month), ("year", year)) if not v]
        if missing:
            raise forms.ValidationError(f"{self.label_text} must include a {' and '.join(missing)}", code="incomplete")
        if not all(re.fullmatch(r"\d{1,4}", v) for v in (day, month, year)):
            raise forms.ValidationError(f"{self.label_text} must be a real date", code="invalid")
        if len(year) != 4:
            raise forms.ValidationError("Year must include 4 numbers", code="invalid")
        try:
            return dt.date(int(year), int(month), int(day))
        except ValueError:
            raise forms.ValidationError(f"{self.label_text} must be a real date", code="invalid") from None

    def validate(self, value):
        if value is None and self.required:
            raise forms.ValidationError(f"Enter the {self.label_text.lower()}", code="required")

    def prepare_value(self, value):
        """Day, month and year to show in the three inputs (as typed, when the form is redisplayed)."""
        if isinstance(value, dt.date):
            return [str(value.day), str(value.month), str(value.year)]
        if isinstance(value, (list, tuple)):
            return list(value) + [""] * (3 - len(value))
        return ["", "", ""]


_TIME = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?$")


def parse_time(text: str) -> dt.time | None:
    """`14:30`, `2:30pm`, `2.30 pm`, `9am`, `midday`, `midnight` → a time; None if not a time."""
    value = (text or "").strip().lower().replace(" ", "")
    if value in ("midday", "noon", "12noon"):
        return dt.time(12, 0)
    if value == "midnight":
        return dt.time(0, 0)
    match = _TIME.match(value)
    if not match:
        return None
    hour, minute, meridiem = int(match.group(1)), int(match.group(2) or 0), match.group(3)
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    elif match.group(2) is None:
        return None  # "14" alone is ambiguous; ask for 14:00
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return dt.time(hour, minute)


class GovukTimeField(forms.Field):
    """A time of day typed as text (GOV.UK has no time component): 9:30am, 14:30, midday."""

    def __init__(self, *, label_text: str, **kwargs):
        self.label_text = label_text
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, dt.time):
            return value
        value = (value or "").strip()
        if not value:
            return None
        parsed = parse_time(value) if len(value) <= 20 else None
        if parsed is None:
            raise forms.ValidationError(f"Enter {self.label_text.lower()} as a real time, like 9:30am or 14:30")
        return parsed

    def validate(self, value):
        if value is None and self.required:
            raise forms.ValidationError(f"Enter the {self.label_text.lower()}", code="required")

    def prepare_value(self, value):
        if isinstance(value, dt.time):
            return value.strftime("%H:%M")
        return value


def london_datetime(day: dt.date, time: dt.time) -> tuple[dt.datetime | None, str]:
    """Combine a London wall-clock date and time into an aware datetime, or explain why not.

    When the clocks go forward, 01:00–01:59 does not exist; when they go back it happens twice and
    the first (British Summer Time) is taken.
    """
    naive = dt.datetime.combine(day, time)
    local = naive.replace(tzinfo=LONDON, fold=0)
    round_trip = local.astimezone(dt.timezone.utc).astimezone(LONDON).replace(tzinfo=None)
    if round_trip != naive:
        return None, "That time did not exist in the UK: the clocks went forward an hour. Enter a time after 2am"
    return local.astimezone(dt.timezone.utc), ""


def apply_service_errors(form: forms.Form, error: ServiceError, field_map: dict[str, str] | None = None):
    """Attach a service's field errors to the form's fields (by the same name, or as mapped);
    anything without a field becomes a form-wide error."""
    field_map = field_map or {}
    if not error.errors:
        form.add_error(None, error.message)
        return
    for name, messages in error.errors.items():
        target = field_map.get(name, name)
        for message in messages:
            if target in form.fields:
                form.add_error(target, message)
            else:
                form.add_error(None, message)


def error_summary(form: forms.Form, anchors: dict[str, str] | None = None) -> list[dict]:
    """The items of a GOV.UK error summary, each linking to its field's first input."""
    anchors = anchors or {}
    items = []
    for message in form.non_field_errors():
        items.append({"text": message, "href": "#main-content"})
    for name, field in form.fields.items():
        for message in form.errors.get(name, []):
            # GOV.UK macros give a field's first input the field's name as its id (date: `<name>-day`).
            target = anchors.get(name) or (f"{name}-day" if isinstance(field, GovukDateField) else name)
            items.append({"text": message, "href": f"#{target}"})
            break
    return items
