from django.shortcuts import render

from openmash.access.policy import can_search_people, require
from openmash.core.errors import InvalidInput
from openmash.core.forms import apply_service_errors
from openmash.core.views import render_form
from openmash.people import selectors
from openmash.people.forms import PersonSearchForm


def search(request):
    require(can_search_people(request.user), "Only MASH staff can search for people")
    form = PersonSearchForm(request.GET or None)
    results = []
    searched = bool(request.GET)
    if searched and form.is_valid():
        criteria = selectors.SearchCriteria(**form.cleaned_data)
        problems = selectors.search_criteria_errors(criteria=criteria)
        if problems:
            apply_service_errors(form, InvalidInput("", errors=problems))
        else:
            results = selectors.person_search(user=request.user, criteria=criteria, limit=50)
    return render_form(
        request, "people/search.html", form, title="Find a person", results=results,
        searched=searched and not form.errors, anchors={"date_of_birth": "date_of_birth-day"},
    )


def detail(request, person_id):
    page = selectors.person_page(user=request.user, person_id=person_id)
    return render(request, "people/detail.html", {"title": page.person.full_name, "page": page})
