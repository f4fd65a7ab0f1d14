from django.contrib import messages
from django.shortcuts import redirect, render

from openmash.access.policy import can_answer, is_agency_rep, require
from openmash.core.errors import InvalidInput, ServiceError
from openmash.core.forms import apply_service_errors
from openmash.core.views import render_form
from openmash.information_requests import selectors, services
from openmash.information_requests.forms import AnswerForm
from openmash.information_requests.codes import AnswerOutcome, RequestStatus, Restriction

TABS = {"open": RequestStatus.OPEN, "answered": RequestStatus.ANSWERED, "closed": RequestStatus.NOT_NEEDED}


def request_list(request):
    require(is_agency_rep(request.user), "This list is for agency representatives")
    tab = request.GET.get("status", "open")
    if tab not in TABS:
        tab = "open"
    rows = selectors.agency_requests(user=request.user, status=TABS[tab])
    agency = request.user.agency
    return render(
        request, "information_requests/list.html",
        {"title": f"{agency.name if agency else 'Agency'} information requests", "rows": rows, "tab": tab},
    )


def request_detail(request, request_id):
    page = selectors.request_page(user=request.user, request_id=request_id)
    if request.method == "POST":
        require(can_answer(request.user, page.request), "Only the agency's representatives can answer this request")
    form = AnswerForm(request.POST if request.method == "POST" else None, initial={"restriction": Restriction.NONE})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        if data["outcome"] == AnswerOutcome.NOT_KNOWN:
            data["summary"] = data.pop("not_known_note")
        else:
            data.pop("not_known_note")
        try:
            answer = services.information_request_answer(
                user=request.user, request=page.request, data=services.AnswerInput(**data)
            )
        except InvalidInput as exc:
            apply_service_errors(form, exc)
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            note = " It was after the due time and is marked late." if answer.late else ""
            messages.success(request, f"Your answer on {page.request.referral.reference} has been sent to the hub.{note}")
            return redirect("information_requests:detail", request_id=page.request.pk)
    return render_form(
        request, "information_requests/detail.html", form,
        title=f"{page.request.agency.name} request on {page.request.referral.reference}", page=page,
        RequestStatus=RequestStatus,
    )
