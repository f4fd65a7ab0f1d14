from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse

from openmash.access.policy import can_search_people, can_see_duplicates, require
from openmash.core.errors import InvalidInput
from openmash.core.forms import apply_service_errors
from openmash.core.views import render_form
from openmash.people import history, selectors
from openmash.people.forms import PersonSearchForm
from openmash.people.search import match_people

SEARCH_PAGE_LIMIT = 20


def search_criteria(form):
    """The criteria from a valid search form, checked; (criteria, problems)."""
    criteria = selectors.SearchCriteria(**form.cleaned_data)
    return criteria, selectors.search_criteria_errors(criteria=criteria)


def search(request):
    require(can_search_people(request.user), "Only MASH staff can search for people")
    form = PersonSearchForm(request.GET or None)
    candidates = []
    searched = bool(request.GET)
    if searched and form.is_valid():
        criteria, problems = search_criteria(form)
        if problems:
            apply_service_errors(form, InvalidInput("", errors=problems))
        else:
            candidates = match_people(user=request.user, criteria=criteria, limit=SEARCH_PAGE_LIMIT, audit_context="people search")
    return render_form(
        request, "people/search.html", form, title="Find a person", candidates=candidates,
        searched=searched and not form.errors, anchors={"date_of_birth": "date_of_birth-day"},
    )


def _merge_url(user, merge_id) -> str | None:
    """The merge's own page (where a manager may undo it), for those who may see merges."""
    if not can_see_duplicates(user):
        return None
    for name in ("people:merge", "people:merge-detail"):
        try:
            return reverse(name, kwargs={"merge_id": merge_id})
        except NoReverseMatch:
            continue
    return None


def detail(request, person_id):
    person = selectors.access_person_for_selection(user=request.user, person_id=person_id)
    kept = history.merged_into(person=person)
    if kept is not None:
        # Old links to a merged record still work: they land on the record kept, saying why.
        return redirect(f"{reverse('people:detail', kwargs={'person_id': kept.pk})}?merged_from={person.pk}")
    page = selectors.person_page(user=request.user, person_id=person.pk)
    notice = history.merge_notice(user=request.user, kept=page.person, merged_id=request.GET.get("merged_from"))
    return render(
        request,
        "people/detail.html",
        {
            "title": page.person.full_name,
            "page": page,
            "history": history.person_history(user=request.user, person=page.person),
            "record": history.person_record(user=request.user, person=page.person),
            "merge_notice": notice,
            "merge_url": _merge_url(request.user, notice.merge.pk) if notice else None,
        },
    )
