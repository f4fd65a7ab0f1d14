from django import forms

from openmash.core.forms import GovukDateField
from openmash.information_requests.codes import AnswerOutcome, Restriction
from openmash.people.codes import InvolvementRole

# Blank involvement rows on the answer page: enough for the few practitioners an agency usually
# names, without JavaScript (docs/adr/0016-involvements-from-answers.md).
BLANK_INVOLVEMENT_ROWS = 3
INVOLVEMENT_FIELDS = (
    "child", "role", "practitioner_name", "service", "practitioner_contact", "start_date", "end_date", "is_lead",
)


class AnswerForm(forms.Form):
    outcome = forms.ChoiceField(
        choices=AnswerOutcome.choices, widget=forms.RadioSelect,
        error_messages={"required": "Select whether your agency holds information, does not know the family, or declines"},
    )
    summary = forms.CharField(required=False, widget=forms.Textarea)
    detail = forms.CharField(required=False, widget=forms.Textarea)
    systems_checked = forms.CharField(required=False)
    restriction = forms.ChoiceField(choices=Restriction.choices, widget=forms.RadioSelect, required=False, initial=Restriction.NONE)
    decline_reason = forms.CharField(required=False, widget=forms.Textarea)
    not_known_note = forms.CharField(required=False, widget=forms.Textarea)
    correction_reason = forms.CharField(required=False, widget=forms.Textarea)


class InvolvementForm(forms.Form):
    """One practitioner in the answering agency involved with one child on the referral. Every field
    is optional here: a row left blank is not an involvement; the service says what a filled row needs."""

    child = forms.ChoiceField(required=False, error_messages={"invalid_choice": "Choose a child on this referral"})
    role = forms.ChoiceField(
        choices=[("", "Choose a role")] + list(InvolvementRole.choices), required=False,
        error_messages={"invalid_choice": "Select the practitioner's role"},
    )
    practitioner_name = forms.CharField(required=False)
    service = forms.CharField(required=False)
    practitioner_contact = forms.CharField(required=False)
    start_date = GovukDateField(label_text="The start date", required=False)
    end_date = GovukDateField(label_text="The end date", required=False)
    is_lead = forms.BooleanField(required=False)
    # Shown on the rows a correction starts with: the way to take one out of the corrected answer.
    remove = forms.BooleanField(required=False)

    def __init__(self, *args, children=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["child"].choices = [("", "Choose a child")] + [(str(pk), label) for pk, label in children]

    def is_blank(self) -> bool:
        """Nothing typed, chosen or ticked in the row (read from the raw data: a blank row is
        ignored even where what was typed elsewhere could not be read)."""
        if not self.is_bound:
            return True
        for name in INVOLVEMENT_FIELDS:
            value = self.fields[name].widget.value_from_datadict(self.data, self.files, self.add_prefix(name))
            if isinstance(value, (list, tuple)):
                if any(str(v).strip() for v in value):
                    return False
            elif isinstance(value, bool):
                if value:
                    return False
            elif str(value or "").strip():
                return False
        return True

    def is_removed(self) -> bool:
        return self.is_bound and bool(self.fields["remove"].widget.value_from_datadict(self.data, self.files, self.add_prefix("remove")))


class BaseInvolvementFormSet(forms.BaseFormSet):
    def __init__(self, *args, children=(), **kwargs):
        self.children = list(children)
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "children": self.children}


InvolvementFormSet = forms.formset_factory(
    InvolvementForm, formset=BaseInvolvementFormSet, extra=0, max_num=30, absolute_max=30, validate_max=True,
)
