"""The filter of /reports/ and /insight/ (GET): period, ratings, referral source, agency, team, grain.

The form reads what was typed (real dates, codes from the lists); what a period may be (not back to
front, not longer than the engine allows) is `filters.build_filter`'s rule, shared with the API, and
its messages are put back next to the same fields.

Dates come from the GOV.UK date input (`from-day`, `from-month`, `from-year`) or, in the links the
pages make (exports, drill-down, the next page), as one ISO value (`from=2026-04-01`): shorter
addresses, and the same form as the API's.
"""

from __future__ import annotations

import datetime as dt
import re

from django import forms

from openmash.core.errors import InvalidInput
from openmash.core.forms import GovukDateField, GovukDateWidget
from openmash.referrals.codes import Rating, ReferralSource
from openmash.reports import filters
from openmash.reports.measures import GRAINS, ReportFilter

PARTS = ("day", "month", "year")
# Bars on a chart: a day per bar is readable up to about a year, a week up to about five.
MAX_DAYS_BY_DAY = 366
MAX_DAYS_BY_WEEK = 5 * 366


class FilterDateWidget(GovukDateWidget):
    """The three GOV.UK boxes, or one ISO value under the field's own name."""

    def value_from_datadict(self, data, files, name):
        if not any(f"{name}-{part}" in data for part in PARTS) and name in data:
            return data.get(name, "").strip()[:40]
        return super().value_from_datadict(data, files, name)

    def value_omitted_from_data(self, data, files, name):
        return name not in data and super().value_omitted_from_data(data, files, name)


class FilterDateField(GovukDateField):
    widget = FilterDateWidget

    def to_python(self, value):
        if isinstance(value, str):
            if not value:
                return None
            match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", value)
            try:
                return dt.date(int(match[1]), int(match[2]), int(match[3]))
            except (TypeError, ValueError):
                raise forms.ValidationError(f"{self.label_text} must be a real date", code="invalid") from None
        return super().to_python(value)

    def prepare_value(self, value):
        if isinstance(value, str):
            try:
                day = self.to_python(value)
            except forms.ValidationError:
                day = None
            return super().prepare_value(day) if day else ["", "", ""]
        return super().prepare_value(value)


GRAIN_CHOICES = [("", "Automatic"), ("day", "Day"), ("week", "Week"), ("month", "Month")]


class ReportFilterForm(forms.Form):
    """Every field is optional: an empty form is the default period, everything included."""

    rating = forms.MultipleChoiceField(
        choices=Rating.choices, required=False, widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Select ratings from the list"},
    )
    source = forms.ChoiceField(
        choices=[("", "Any source")] + [(code, f"{code} – {label}") for code, label in ReferralSource.choices],
        required=False, error_messages={"invalid_choice": "Select a referral source from the list"},
    )
    agency = forms.ChoiceField(required=False, error_messages={"invalid_choice": "Select an agency from the list"})
    team = forms.ChoiceField(required=False, error_messages={"invalid_choice": "Select a team from the list"})
    grain = forms.ChoiceField(choices=GRAIN_CHOICES, required=False,
                              error_messages={"invalid_choice": "Select day, week, month or automatic"})

    def __init__(self, *args, agencies: list[tuple[str, str]], teams: list[tuple[str, str]] = (), with_grain: bool = True,
                 **kwargs):
        super().__init__(*args, **kwargs)
        # "from" and "to" are Python keywords, so these two are added by name.
        self.fields["from"] = FilterDateField(label_text="Start date", required=False)
        self.fields["to"] = FilterDateField(label_text="End date", required=False)
        self.order_fields(["from", "to", "rating", "source", "agency", "team", "grain"])
        self.fields["agency"].choices = [("", "Any agency")] + agencies
        # Every team, inactive ones too: a report may be about the past.
        self.fields["team"].choices = [("", "All teams")] + list(teams)
        if not with_grain:
            del self.fields["grain"]
        self.report_filter: ReportFilter | None = None

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        default_start, default_end = filters.default_period()
        start = data.get("from") or (default_start if not data.get("to") else None)
        end = data.get("to") or default_end
        if start is None:
            # Only an end date: the 12 months up to it, as the default period is to today.
            start, _ = filters.default_period(end)
        try:
            self.report_filter = filters.build_filter(
                # As ISO text, so that every check the API's dates get applies here too.
                start=start.isoformat(), end=end.isoformat(), ratings=data.get("rating") or (), sources=[data.get("source") or ""],
                agency=data.get("agency") or "", team=data.get("team") or "",
            )
        except InvalidInput as exc:
            names = {"from": "from", "to": "to", "rating": "rating", "source": "source", "agency": "agency", "team": "team"}
            for name, messages in exc.errors.items():
                for message in messages:
                    self.add_error(names.get(name) if names.get(name) in self.fields else None, message)
            return data
        # Show the period in use in the boxes (the default one too, so the reader sees what "blank" meant).
        self.data = self.data.copy()
        for name, day in (("from", self.report_filter.start), ("to", self.report_filter.end)):
            for part in PARTS:
                self.data.pop(f"{name}-{part}", None)
            self.data[name] = day.isoformat()
        grain = data.get("grain") or ""
        if grain:
            days = (self.report_filter.end - self.report_filter.start).days + 1
            if grain == "day" and days > MAX_DAYS_BY_DAY:
                self.add_error("grain", "Choose week or month for a period longer than a year")
            elif grain == "week" and days > MAX_DAYS_BY_WEEK:
                self.add_error("grain", "Choose month for a period longer than 5 years")
        return data

    @property
    def chosen_grain(self) -> str | None:
        value = self.cleaned_data.get("grain") if hasattr(self, "cleaned_data") else None
        return value if value in GRAINS else None


def filter_params(flt: ReportFilter, grain: str | None = None) -> list[tuple[str, str]]:
    """The query a filter is written back as, for links that must show the same report."""
    params = [("from", flt.start.isoformat()), ("to", flt.end.isoformat())]
    params += [("rating", r) for r in flt.ratings]
    params += [("source", s) for s in flt.sources]
    if flt.agency:
        params.append(("agency", flt.agency))
    if flt.team:
        params.append(("team", flt.team))
    if grain:
        params.append(("grain", grain))
    return params


class HotspotForm(ReportFilterForm):
    """The report filter, and how to group places (postcode district, sector or an uploaded area set)
    and which cohort to count."""

    level = forms.ChoiceField(required=False, error_messages={"invalid_choice": "Select how to group the places from the list"})
    cohort = forms.ChoiceField(required=False, error_messages={"invalid_choice": "Select a cohort from the list"})

    def __init__(self, *args, levels: list[tuple[str, str]], cohorts: list[tuple[str, str]], **kwargs):
        super().__init__(*args, with_grain=False, **kwargs)
        self.fields["level"].choices = levels
        self.fields["cohort"].choices = [("", "Every child referral")] + cohorts
