from django import forms

from openmash.information_requests.codes import AnswerOutcome, Restriction


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
