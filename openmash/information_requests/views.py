from django.contrib import messages
from django.shortcuts import redirect, render

from openmash.access.policy import can_answer, is_agency_rep, require
from openmash.core.errors import InvalidInput, ServiceError
from openmash.core.forms import GovukDateField, apply_service_errors, error_summary
from openmash.information_requests import selectors, services
from openmash.information_requests.codes import AnswerOutcome, RequestStatus, Restriction
from openmash.information_requests.forms import BLANK_INVOLVEMENT_ROWS, AnswerForm, InvolvementFormSet

TABS = {"open": RequestStatus.OPEN, "answered": RequestStatus.ANSWERED, "closed": RequestStatus.NOT_NEEDED}
INVOLVEMENTS_PREFIX = "involvements"


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


def _involvement_formset(request, page):
    """The involvement rows: on a correction, the ones the current answer names (each can be
    removed), then blank rows to name more."""
    children = [
        (child.pk, f"{child.full_name}, born {child.date_of_birth:%-d %B %Y}" if child.date_of_birth else child.full_name)
        for child in page.household.children
    ]
    initial = [
        {
            "child": str(inv.person_id), "role": inv.role, "practitioner_name": inv.practitioner_name, "service": inv.service,
            "practitioner_contact": inv.practitioner_contact, "start_date": inv.start_date, "end_date": inv.end_date,
            "is_lead": inv.is_lead,
        }
        for inv in page.current_involvements
    ]
    initial += [{}] * max(0, min(BLANK_INVOLVEMENT_ROWS, InvolvementFormSet.max_num - len(initial)))
    data = request.POST if request.method == "POST" else None
    if data is not None and not any(key.startswith(f"{INVOLVEMENTS_PREFIX}-") for key in data):
        # A submission with no involvement fields at all (a script, or a page from before they
        # existed) names nobody; one with some of them must be whole.
        data = data.copy()
        data.update({f"{INVOLVEMENTS_PREFIX}-TOTAL_FORMS": "0", f"{INVOLVEMENTS_PREFIX}-INITIAL_FORMS": "0"})
        initial = []
    return InvolvementFormSet(data, initial=initial, prefix=INVOLVEMENTS_PREFIX, children=children)


def _involvement_inputs(formset) -> tuple[list[services.InvolvementInput], list[int]] | None:
    """The filled rows as service input, with the index of each row's form (blank and removed rows
    are left out, so the service's `involvements.N` is the Nth filled row); None when a row could
    not be read (its fields already carry the errors)."""
    if not formset.is_valid():
        return None
    rows, positions = [], []
    for index, form in enumerate(formset.forms):
        if form.is_blank() or form.is_removed():
            continue
        data = form.cleaned_data
        rows.append(services.InvolvementInput(
            child=data["child"], role=data["role"], practitioner_name=data["practitioner_name"], service=data["service"],
            practitioner_contact=data["practitioner_contact"], start_date=data["start_date"], end_date=data["end_date"],
            is_lead=data["is_lead"],
        ))
        positions.append(index)
    return rows, positions


def _row_errors(form, formset, positions: list[int], exc: InvalidInput):
    """Put the service's `involvements.N.field` errors next to the fields of the Nth filled row; an
    error about the involvements as a whole (named for an answer that holds nothing) goes with the
    outcome, which is where it can be put right."""
    rest = {}
    for key, messages_ in exc.errors.items():
        parts = key.split(".")
        if parts[0] != INVOLVEMENTS_PREFIX:
            rest[key] = messages_
        elif len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(positions):
            row = formset.forms[positions[int(parts[1])]]
            for message in messages_:
                row.add_error(parts[2] if parts[2] in row.fields else None, message)
        else:
            rest.setdefault("outcome", []).extend(messages_)
    if rest:
        apply_service_errors(form, InvalidInput(exc.message, errors=rest))


def _summary(form, formset) -> list[dict]:
    """The error summary: the answer's fields, then each involvement row's, linking to the input."""
    items = error_summary(form) if form.errors else []
    for message in formset.non_form_errors():
        items.append({"text": message, "href": f"#{INVOLVEMENTS_PREFIX}"})
    for number, row in enumerate(formset.forms, start=1):
        if not row.is_bound or not row.errors:
            continue
        for message in row.non_field_errors():
            items.append({"text": f"Involvement {number}: {message}", "href": f"#{row.prefix}-child"})
        for name, field in row.fields.items():
            for message in list(row.errors.get(name, []))[:1]:
                target = f"{row.prefix}-{name}-day" if isinstance(field, GovukDateField) else f"{row.prefix}-{name}"
                items.append({"text": f"Involvement {number}: {message}", "href": f"#{target}"})
    return items


def request_detail(request, request_id):
    page = selectors.request_page(user=request.user, request_id=request_id)
    if request.method == "POST":
        require(can_answer(request.user, page.request), "Only the agency's representatives can answer this request")
    # A correction starts with the current answer's restriction, so that correcting a restricted
    # answer (and the involvements it names) does not lift the restriction unless the agency says so.
    restriction = page.answers[-1].restriction if page.answers else Restriction.NONE
    form = AnswerForm(request.POST if request.method == "POST" else None, initial={"restriction": restriction})
    formset = _involvement_formset(request, page)
    if request.method == "POST":
        form_ok = form.is_valid()  # both are checked, so every problem is shown at once
        involvements = _involvement_inputs(formset)
        if form_ok and involvements is not None:
            rows, positions = involvements
            data = dict(form.cleaned_data)
            if data["outcome"] == AnswerOutcome.NOT_KNOWN:
                data["summary"] = data.pop("not_known_note")
            else:
                data.pop("not_known_note")
            try:
                answer = services.information_request_answer(
                    user=request.user, request=page.request, data=services.AnswerInput(**data, involvements=rows)
                )
            except InvalidInput as exc:
                _row_errors(form, formset, positions, exc)
            except ServiceError as exc:
                form.add_error(None, exc.message)
            else:
                note = " It was after the due time and is marked late." if answer.late else ""
                named = len(answer.named_involvements)
                if named:
                    note += f" It names {named} {'involvement' if named == 1 else 'involvements'}."
                messages.success(request, f"Your answer on {page.request.referral.reference} has been sent to the hub.{note}")
                return redirect("information_requests:detail", request_id=page.request.pk)
    errors = _summary(form, formset) if request.method == "POST" else []
    return render(
        request, "information_requests/detail.html",
        {
            "form": form, "involvement_forms": formset, "form_errors": errors,
            "title": f"{page.request.agency.name} request on {page.request.referral.reference}", "page": page,
            "RequestStatus": RequestStatus,
        },
        status=400 if errors else 200,
    )
