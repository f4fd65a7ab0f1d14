from django import forms


class AgencyForm(forms.Form):
    code = forms.CharField(required=False)
    name = forms.CharField(required=False)
    duty_inbox_email = forms.CharField(required=False)
    sort_order = forms.IntegerField(required=False, min_value=0, max_value=32767, error_messages={
        "invalid": "Enter the position as a whole number, like 10", "min_value": "Position must be 0 or more",
        "max_value": "Position must be 32767 or less",
    })
    active = forms.ChoiceField(choices=[("yes", "Yes"), ("no", "No – no new requests are sent to it")], widget=forms.RadioSelect, initial="yes")

    def __init__(self, *args, creating: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not creating:
            del self.fields["code"]
