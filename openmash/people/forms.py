from django import forms

from openmash.core.forms import GovukDateField
from openmash.people.codes import Ethnicity, Sex


SEARCH_SEX_CHOICES = [("", "Any"), (Sex.FEMALE, "Female"), (Sex.MALE, "Male")]


class PersonSearchForm(forms.Form):
    """What a practitioner knows about the person they are looking for. Every field optional; the
    search (people.search.match_people) weighs whatever is given."""

    given_name = forms.CharField(required=False)
    family_name = forms.CharField(required=False)
    date_of_birth = GovukDateField(label_text="Date of birth", required=False)
    sex = forms.ChoiceField(choices=SEARCH_SEX_CHOICES, required=False)
    address_line = forms.CharField(required=False)
    postcode = forms.CharField(required=False)
    nhs_number = forms.CharField(required=False)
    upn = forms.CharField(required=False)


class NewPersonForm(forms.Form):
    given_name = forms.CharField(required=False)
    family_name = forms.CharField(required=False)
    other_names = forms.CharField(required=False, widget=forms.Textarea)
    date_of_birth = GovukDateField(label_text="Date of birth", required=False)
    sex = forms.ChoiceField(choices=Sex.choices, widget=forms.RadioSelect, error_messages={"required": "Select the person's sex, or 'Not known'"})
    ethnicity = forms.ChoiceField(choices=Ethnicity.choices, initial=Ethnicity.NOBT)
    nhs_number = forms.CharField(required=False)
    upn = forms.CharField(required=False)
    address_line_1 = forms.CharField(required=False)
    address_line_2 = forms.CharField(required=False)
    town = forms.CharField(required=False)
    postcode = forms.CharField(required=False)
