from django.contrib import messages
from django.shortcuts import redirect, render

from openmash.access.policy import is_administrator, require
from openmash.agencies import selectors, services
from openmash.agencies.forms import AgencyForm
from openmash.core.errors import InvalidInput
from openmash.core.forms import apply_service_errors
from openmash.core.views import render_form


def agency_list(request):
    require(is_administrator(request.user), "Only an administrator can manage agencies")
    return render(request, "agencies/list.html", {"title": "Partner agencies", "agencies": selectors.agency_list()})


def agency_create(request):
    require(is_administrator(request.user), "Only an administrator can manage agencies")
    form = AgencyForm(request.POST if request.method == "POST" else None, creating=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            agency = services.agency_create(
                user=request.user, code=data["code"], name=data["name"], duty_inbox_email=data["duty_inbox_email"],
                sort_order=data["sort_order"], active=data["active"] == "yes",
            )
        except InvalidInput as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"{agency.name} added.")
            return redirect("agencies:list")
    return render_form(request, "agencies/form.html", form, title="Add a partner agency", creating=True)


def agency_edit(request, code):
    agency = selectors.agency_for_admin(user=request.user, code=code)
    initial = {
        "name": agency.name, "duty_inbox_email": agency.duty_inbox_email, "sort_order": agency.sort_order,
        "active": "yes" if agency.active else "no",
    }
    form = AgencyForm(request.POST if request.method == "POST" else None, initial=initial, creating=False)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.agency_update(
                user=request.user, agency=agency, name=data["name"], duty_inbox_email=data["duty_inbox_email"],
                sort_order=data["sort_order"], active=data["active"] == "yes",
            )
        except InvalidInput as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"{agency.name} updated.")
            return redirect("agencies:list")
    return render_form(request, "agencies/form.html", form, title=f"Change {agency.name}", creating=False, agency=agency)
