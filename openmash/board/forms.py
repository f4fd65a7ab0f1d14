from django import forms

from openmash.board.codes import BoardKind, BoardLabels


class _Choices(forms.ChoiceField):
    """Radios or a select to show; whether the value is one of them is `board_create`'s rule, so that
    every problem (a missing name as well as a missing kind) is reported at once."""

    def valid_value(self, value):
        return True


class BoardForm(forms.Form):
    """Shape only; the rules (name, kind, labels, an agency for an agency board) are `board_create`'s."""

    name = forms.CharField(required=False)
    kind = _Choices(required=False, choices=BoardKind.choices, widget=forms.RadioSelect)
    agency = _Choices(required=False)
    labels = _Choices(required=False, choices=BoardLabels.choices, widget=forms.RadioSelect, initial=BoardLabels.INITIALS)

    def __init__(self, *args, agency_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].choices = [("", "Choose an agency")] + agency_choices
