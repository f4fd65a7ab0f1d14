"""Forms for consent, overrides, the referrer's identity, outcome letters, the sharing log search and
the lawful-basis list. They read what was typed; the rules live in `openmash.sharing.services`, whose
errors are attached back to these fields (`apply_service_errors`)."""

from django import forms

from openmash.core.forms import GovukDateField, GovukTimeField
from openmash.referrals.codes import FamilyInformed
from openmash.sharing.codes import (
    BasisCategory,
    Channel,
    ConsentGivenBy,
    ConsentMethod,
    ConsentOutcome,
    ConsentSought,
    NotSoughtReason,
)

PICK = "Select an option from the list"


class Picked(forms.MultipleChoiceField):
    """The values ticked, as sent. Whether they are allowed is the service's rule (it names the
    problem in its own words), so the form does not refuse them first and hide the service's other
    messages."""

    def validate(self, value):
        pass


def _radios(choices, required_message: str, required=True):
    return forms.ChoiceField(
        choices=choices, widget=forms.RadioSelect, required=required,
        error_messages={"required": required_message, "invalid_choice": PICK},
    )


class ConsentForm(forms.Form):
    """One consent entry for each person ticked.

    The questions under "sought: yes" and "given" are only read when that answer was chosen: a half-typed
    date under a hidden answer must not stop the form.
    """

    # Whether each question is answered is the service's rule (consent_record): the form only checks
    # that what was sent is one of the choices, so every problem can be shown at once.
    person_ids = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple, required=False, error_messages={"invalid_choice": "Select people from the list"},
    )
    family_informed = _radios(FamilyInformed.choices, "", required=False)
    sought = _radios(ConsentSought.choices, "", required=False)
    not_sought_reason = _radios(NotSoughtReason.choices, "", required=False)
    outcome = _radios(ConsentOutcome.choices, "", required=False)
    given_by = _radios(ConsentGivenBy.choices, "", required=False)
    given_by_name = forms.CharField(required=False)
    obtained_date = GovukDateField(label_text="Date", required=False)
    obtained_time = GovukTimeField(label_text="Time", required=False)
    method = _radios(ConsentMethod.choices, "", required=False)
    scope_agencies = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple, required=False, error_messages={"invalid_choice": "Select agencies from the list"},
    )
    scope_information = forms.CharField(required=False)
    notes = forms.CharField(required=False, widget=forms.Textarea)

    TYPED = ("obtained_date", "obtained_time")  # the only fields whose shape the form itself checks
    SOUGHT_FIELDS = ("outcome", "given_by", "given_by_name", "obtained_date", "obtained_time", "method")
    GIVEN_FIELDS = ("scope_agencies", "scope_information")
    EVERY_AGENCY = "all"  # the first scope checkbox: consent to share with every partner agency

    def __init__(self, *args, people: list[tuple[str, str]], agencies: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person_ids"].choices = people
        self.fields["scope_agencies"].choices = [(self.EVERY_AGENCY, "Every partner agency")] + agencies

    def clean(self):
        data = super().clean()
        sought = self.data.get("sought")
        outcome = self.data.get("outcome")
        ignored = []
        if sought != ConsentSought.YES:
            ignored += self.SOUGHT_FIELDS + self.GIVEN_FIELDS
        elif outcome != ConsentOutcome.GIVEN:
            ignored += self.GIVEN_FIELDS
        if sought != ConsentSought.NO:
            ignored.append("not_sought_reason")
        for name in ignored:
            self._errors.pop(name, None)
            data[name] = [] if name == "scope_agencies" else None if name in ("obtained_date", "obtained_time") else ""
        if sought == ConsentSought.YES:
            day, time = data.get("obtained_date"), data.get("obtained_time")
            if day and time is None and "obtained_time" not in self._errors:
                self.add_error("obtained_time", "Enter the time, like 9:30am or 14:30")
            if time is not None and not day and "obtained_date" not in self._errors:
                self.add_error("obtained_date", "Enter the date")
        return data


class OverrideForm(forms.Form):
    lawful_basis = Picked(widget=forms.CheckboxSelectMultiple, required=False)
    reason = forms.CharField(widget=forms.Textarea, required=False)

    def __init__(self, *args, bases: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lawful_basis"].choices = bases


class AuthoriseForm(forms.Form):
    second_reason = forms.CharField(widget=forms.Textarea, required=False)


class RejectForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea, required=False)


class ReleaseForm(forms.Form):
    agencies = Picked(widget=forms.CheckboxSelectMultiple, required=False)
    reason = forms.CharField(widget=forms.Textarea, required=False)

    def __init__(self, *args, agencies: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agencies"].choices = agencies


LETTER_CHANNELS = [(value, label) for value, label in Channel.choices if value != Channel.IN_SERVICE]


class LetterForm(forms.Form):
    channel = forms.CharField(required=False, widget=forms.RadioSelect(choices=LETTER_CHANNELS))
    include_answer_ids = Picked(widget=forms.CheckboxSelectMultiple, required=False)
    not_shared_reason = forms.CharField(widget=forms.Textarea, required=False)
    message = forms.CharField(widget=forms.Textarea, required=False)

    def __init__(self, *args, answers: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["include_answer_ids"].choices = answers


class LogSearchForm(forms.Form):
    """The sharing-log search (GET). Every field is optional; an empty search shows the newest entries."""

    agency = forms.ChoiceField(required=False, error_messages={"invalid_choice": "Select an agency from the list"})
    basis = forms.ChoiceField(required=False, error_messages={"invalid_choice": "Select a basis from the list"})
    person = forms.CharField(required=False, max_length=100, error_messages={"max_length": "Enter 100 characters or fewer"})
    reference = forms.CharField(required=False, max_length=32, error_messages={"max_length": "A reference has 32 characters or fewer"})
    date_from = GovukDateField(label_text="From date", required=False)
    date_to = GovukDateField(label_text="To date", required=False)

    def __init__(self, *args, agencies: list[tuple[str, str]], bases: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].choices = [("", "Any agency")] + agencies
        self.fields["basis"].choices = [("", "Any basis"), ("consent", "Consent")] + bases

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The to date must be the same as or after the from date")
        return data


class OverrideReportForm(forms.Form):
    self_authorised = forms.BooleanField(required=False)


class LawfulBasisForm(forms.Form):
    code = forms.CharField(required=False)
    label = forms.CharField(required=False)
    category = _radios(BasisCategory.choices, "", required=False)
    active = _radios([("yes", "Yes – staff can choose it"), ("no", "No – retired: kept for the record, no longer offered")],
                     "Select whether staff can choose it")

    def __init__(self, *args, creating: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not creating:
            del self.fields["code"]
