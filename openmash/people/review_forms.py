"""Forms for the duplicate review pages. They read what was typed; the rules live in
`openmash.people.merging`, whose errors are attached back to these fields."""

from django import forms

from openmash.people.matching.weights import BANDS
from openmash.people.models import DuplicatePair

REASON_MAX = 5000


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(choices=DuplicatePair.Status.choices, required=False)
    band = forms.ChoiceField(choices=[("", "Any band")] + [(name, name.capitalize()) for _, name in BANDS], required=False)

    def clean_status(self):
        return self.cleaned_data.get("status") or DuplicatePair.Status.OPEN


def _text(required_message: str, label: str) -> forms.CharField:
    return forms.CharField(
        max_length=REASON_MAX, widget=forms.Textarea,
        error_messages={"required": required_message, "max_length": f"{label} must be {REASON_MAX:,} characters or fewer"},
    )


class MergeForm(forms.Form):
    """Which of the two records to keep (the other is merged into it), and why they are one person."""

    action = forms.CharField(widget=forms.HiddenInput, required=False)
    keep = forms.ChoiceField(
        widget=forms.RadioSelect,
        error_messages={"required": "Select the record to keep", "invalid_choice": "Select one of the two records to keep"},
    )
    reason = _text("Enter why these two records are the same person", "Reason")

    def __init__(self, *args, records: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["keep"].choices = records


class NotSameForm(forms.Form):
    action = forms.CharField(widget=forms.HiddenInput, required=False)
    note = _text("Enter how you know these are two different people", "Note")


class UndoForm(forms.Form):
    reason = _text("Enter why the merge is being undone", "Reason")
