from django import forms

from openmash.core.forms import GovukDateField, GovukTimeField
from openmash.people.codes import RelationshipKind
from openmash.referrals.codes import (
    ConcernCategory,
    ConsentStatus,
    ContactMethod,
    FamilyInformed,
    Outcome,
    Rating,
    ReferralSource,
    ReferrerInformed,
    ThresholdLevel,
)

YES_NO = [("yes", "Yes"), ("no", "No")]


class ReceivedForm(forms.Form):
    received_date = GovukDateField(label_text="Date received")
    received_time = GovukTimeField(label_text="Time received")
    source = forms.ChoiceField(
        choices=[("", "Select where the referral came from")] + ReferralSource.choices,
        error_messages={"required": "Select where the referral came from", "invalid_choice": "Select where the referral came from"},
    )


class ReferrerForm(forms.Form):
    anonymous = forms.ChoiceField(
        choices=YES_NO, widget=forms.RadioSelect,
        error_messages={"required": "Select yes if the referrer did not give their name"},
    )
    referrer_name = forms.CharField(required=False)
    referrer_role = forms.CharField(required=False)
    referrer_organisation = forms.CharField(required=False)
    referrer_phone = forms.CharField(required=False)
    referrer_email = forms.CharField(required=False)


class RelationshipsForm(forms.Form):
    """One relationship question per child on the referral (fields made at run time)."""

    def __init__(self, *args, children: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.children = children
        for position, name in children:
            self.fields[f"child_{position}"] = forms.ChoiceField(
                choices=[("", "Select a relationship")] + RelationshipKind.choices,
                error_messages={"required": f"Select how this adult is related to {name}", "invalid_choice": "Select a relationship from the list"},
            )
            self.fields[f"pr_{position}"] = forms.ChoiceField(
                choices=[("yes", "Yes"), ("no", "No"), ("not_known", "Not known")],
                widget=forms.RadioSelect,
                required=False,
            )


class ConcernsForm(forms.Form):
    concern_categories = forms.MultipleChoiceField(
        choices=ConcernCategory.choices, widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Select at least one concern", "invalid_choice": "Select concerns from the list"},
    )
    concern_narrative = forms.CharField(widget=forms.Textarea, error_messages={"required": "Describe the concerns"})


class ConsentForm(forms.Form):
    family_informed = forms.ChoiceField(
        choices=FamilyInformed.choices, widget=forms.RadioSelect,
        error_messages={"required": "Select whether the family has been told about the referral"},
    )
    family_informed_notes = forms.CharField(required=False, widget=forms.Textarea)
    consent = forms.ChoiceField(
        choices=ConsentStatus.choices, widget=forms.RadioSelect,
        error_messages={"required": "Select whether consent to share information was given, refused or not sought"},
    )
    consent_notes = forms.CharField(required=False, widget=forms.Textarea)


class TriageForm(forms.Form):
    rating = forms.ChoiceField(
        choices=Rating.choices, widget=forms.RadioSelect,
        error_messages={"required": "Select a rating: Urgent, Red, Amber or Green"},
    )
    rationale = forms.CharField(widget=forms.Textarea, error_messages={"required": "Give the reason for this rating"})
    agencies = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple, required=False,
        error_messages={"invalid_choice": "Select agencies from the list"},
    )

    team = forms.ChoiceField(required=False, error_messages={"invalid_choice": "Select a team from the list"})

    def __init__(self, *args, agency_choices, team_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agencies"].choices = agency_choices
        if team_choices:
            # Whether a team is required is the service's rule (one is, while any team is active).
            self.fields["team"].choices = [("", "Select a team")] + list(team_choices)
        else:
            del self.fields["team"]  # the hub has no teams: nothing to choose


class DecisionForm(forms.Form):
    rationale = forms.CharField(widget=forms.Textarea, error_messages={"required": "Give the rationale for the decision"})
    threshold_level = forms.TypedChoiceField(
        choices=ThresholdLevel.choices, coerce=int, widget=forms.RadioSelect,
        error_messages={"required": "Select the threshold level, 1 to 4"},
    )
    early_decision_reason = forms.CharField(required=False, widget=forms.Textarea)
    referrer_informed = forms.ChoiceField(
        choices=ReferrerInformed.choices, widget=forms.RadioSelect,
        error_messages={"required": "Select whether the referrer has been told the outcome"},
    )
    referrer_informed_method = forms.ChoiceField(choices=ContactMethod.choices, widget=forms.RadioSelect, required=False)
    referrer_informed_notes = forms.CharField(required=False, widget=forms.Textarea)

    def __init__(self, *args, children, **kwargs):
        super().__init__(*args, **kwargs)
        self.children = children
        for child in children:
            self.fields[f"outcome_{child.pk}"] = forms.ChoiceField(
                choices=Outcome.choices, widget=forms.RadioSelect,
                error_messages={"required": f"Select the outcome for {child.full_name}", "invalid_choice": "Select an outcome from the list"},
            )


class ClockForm(forms.Form):
    # The range is the service's rule (clock_policy_update, decision_clock_update); the form only reads a number.
    hours = forms.DecimalField(max_digits=6, decimal_places=2, error_messages={
        "required": "Enter the number of hours", "invalid": "Enter the number of hours as a number, like 4 or 1.5",
        "max_digits": "Enter a number of hours from 0.1 (6 minutes) to 720 (30 days)", "max_whole_digits": "Enter a number of hours from 0.1 (6 minutes) to 720 (30 days)",
        "max_decimal_places": "Enter hours to no more than 2 decimal places",
    })
    basis = forms.ChoiceField(
        choices=[("calendar", "Calendar hours"), ("working", "Working hours")], widget=forms.RadioSelect,
        error_messages={"required": "Select calendar hours or working hours"},
    )


WARNINGS_SHAPE = "Enter the warnings as whole percentages separated by commas, like 50, 90"


class ClockPolicyForm(ClockForm):
    """A rating's clock and the points (percentages of it) at which the agency is warned."""

    warning_percents = forms.CharField(required=False, max_length=100, error_messages={"max_length": WARNINGS_SHAPE})

    def clean_warning_percents(self) -> list[int]:
        # "50, 90", "50 90" and "50%, 90%" all read as [50, 90]; an empty box means no warnings.
        text = self.cleaned_data["warning_percents"].replace("%", " ").replace(",", " ")
        tokens = text.split()
        if not all(t.isascii() and t.isdigit() and len(t) <= 3 for t in tokens):
            raise forms.ValidationError(WARNINGS_SHAPE)
        return [int(t) for t in tokens]


def warnings_text(percents) -> str:
    """[50, 90] → "50, 90": how the warning points are shown in the form."""
    return ", ".join(str(p) for p in percents)
