from django import forms

from openmash.accounts.roles import Role


class SignInForm(forms.Form):
    username = forms.CharField(required=False)
    password = forms.CharField(required=False, widget=forms.PasswordInput, strip=False)


class UserForm(forms.Form):
    username = forms.CharField(required=False)
    first_name = forms.CharField(required=False)
    last_name = forms.CharField(required=False)
    email = forms.CharField(required=False)
    job_title = forms.CharField(required=False)
    role = forms.ChoiceField(choices=Role.choices, widget=forms.RadioSelect, error_messages={"required": "Select a role"})
    agency = forms.ChoiceField(required=False)
    team = forms.ChoiceField(required=False, error_messages={"invalid_choice": "Select a team from the list"})
    is_active = forms.ChoiceField(choices=[("yes", "Yes"), ("no", "No – the account cannot sign in")], widget=forms.RadioSelect, initial="yes")
    password = forms.CharField(required=False, widget=forms.PasswordInput, strip=False)

    def __init__(self, *args, agency_choices, team_choices, creating: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].choices = [("", "No agency")] + agency_choices
        self.fields["team"].choices = [("", "No team")] + team_choices
        self.creating = creating
        if creating:
            # A new account is always active: the page does not ask, so the field must not be required.
            del self.fields["is_active"]
        else:
            del self.fields["username"]
            del self.fields["password"]


class PasswordForm(forms.Form):
    password = forms.CharField(required=False, widget=forms.PasswordInput, strip=False)


class TeamForm(forms.Form):
    code = forms.CharField(required=False)
    name = forms.CharField(required=False)
    active = forms.ChoiceField(
        choices=[("yes", "Yes"), ("no", "No – it is not offered when a referral is rated")], widget=forms.RadioSelect,
        initial="yes", error_messages={"required": "Select whether the team is active"},
    )

    def __init__(self, *args, creating: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if creating:
            del self.fields["active"]  # a new team is active
        else:
            del self.fields["code"]
