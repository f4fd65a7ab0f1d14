"""Pages for consent, sharing without consent, the referrer's identity, outcome letters, the sharing
log (information governance) and the lawful-basis list (administrators).

Thin: a form, one selector or service, then a redirect or a template. A referral's sharing pages are
for hub staff: anyone else is told the page does not exist (404), as for a referral they cannot see.
Within the hub, a role that may not do something is refused with 403 (`require`).
"""

import csv
import io

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from openmash.access.policy import can_search_sharing_log, is_administrator, is_hub_staff, is_manager, require
from openmash.agencies.selectors import agency_list
from openmash.core import clock
from openmash.core.errors import InvalidInput, ServiceError
from openmash.core.forms import apply_service_errors, london_datetime
from openmash.core.views import render_form
from openmash.sharing import selectors, services
from openmash.sharing.codes import BasisCategory, BasisKind, ConsentOutcome, ConsentSought, OverrideStatus
from openmash.sharing.forms import (
    LETTER_CHANNELS,
    AuthoriseForm,
    ConsentForm,
    LawfulBasisForm,
    LetterForm,
    LogSearchForm,
    OverrideForm,
    OverrideReportForm,
    RejectForm,
    ReleaseForm,
)


def _hub_only(request):
    """A referral's sharing record is hub business: to anyone else it does not exist."""
    if not is_hub_staff(request.user):
        raise Http404("No such page")


def _to_sharing(reference: str, anchor: str = ""):
    return redirect(reverse("sharing:referral", kwargs={"reference": reference}) + (f"#{anchor}" if anchor else ""))


# ------------------------------------------------------------------ the referral's Sharing tab


def referral_sharing(request, reference):
    _hub_only(request)
    page = selectors.sharing_page(user=request.user, reference=reference)
    status = page.status
    released = {release.agency.code for release in page.releases}
    return render(
        request,
        "sharing/referral.html",
        {
            "title": f"Sharing – referral {page.referral.reference}",
            "page": page,
            "status": status,
            "unreleased": [(code, name) for code, name in status.asked if code not in released],
            "agency_names": {a.code: a.name for a in agency_list()},
            "can_propose": page.live_override is None and page.referral.is_open,
        },
    )


# ------------------------------------------------------------------ consent


def consent_new(request, reference):
    _hub_only(request)
    context = selectors.sharing_form(user=request.user, reference=reference, page="record consent")
    referral = context.referral
    people = [(str(p.person_id), p.name) for p in context.people]
    initial = {}
    if request.GET.get("person") in {pid for pid, _ in people}:
        initial["person_ids"] = [request.GET["person"]]
    form = ConsentForm(request.POST if request.method == "POST" else None, initial=initial, people=people, agencies=context.agencies)
    if request.method == "POST":
        form.is_valid()
        data = form.cleaned_data
        obtained_at = None
        if data.get("sought") == ConsentSought.YES and data.get("obtained_date") and data.get("obtained_time"):
            obtained_at, problem = london_datetime(data["obtained_date"], data["obtained_time"])
            if problem:
                form.add_error("obtained_time", problem)
        chosen = list(data.get("scope_agencies") or [])
        scope_all = ConsentForm.EVERY_AGENCY in chosen
        codes = [c for c in chosen if c != ConsentForm.EVERY_AGENCY]
        if data.get("outcome") == ConsentOutcome.GIVEN and scope_all and codes:
            form.add_error("scope_agencies", "Select every partner agency, or only the agencies the consent covers, not both")
        # A date or time that could not be read leaves `obtained_at` empty, which the service always
        # refuses when consent was sought: it is still asked, so that every problem shows at once.
        typed_only = set(form.errors) <= set(ConsentForm.TYPED) and data.get("sought") == ConsentSought.YES
        if not form.errors or typed_only:
            # Consent given with no scope chosen is not read as "every agency": the service is told
            # "chosen agencies, none chosen", refuses it along with any other problem, and the page asks.
            scope_missing = data.get("outcome") == ConsentOutcome.GIVEN and not chosen
            consent = services.ConsentInput(
                person_ids=[int(p) for p in data.get("person_ids") or []],
                family_informed=data.get("family_informed") or "",
                sought=data.get("sought") or "",
                not_sought_reason=data.get("not_sought_reason") or "",
                outcome=data.get("outcome") or "",
                given_by=data.get("given_by") or "",
                given_by_name=data.get("given_by_name") or "",
                obtained_at=obtained_at,
                method=data.get("method") or "",
                scope_all_agencies=scope_all,
                scope_agencies=codes,
                scope_information=data.get("scope_information") or "",
                notes=data.get("notes") or "",
            )
            try:
                entries = services.consent_record(user=request.user, referral=referral, data=consent)
            except InvalidInput as exc:
                if scope_missing:
                    exc.errors["scope_agencies"] = ["Select every partner agency, or the agencies the consent covers"]
                if form.errors:
                    exc.errors.pop("obtained_at", None)  # the form's own message about the date or time says more
                apply_service_errors(form, exc, field_map={"obtained_at": "obtained_date"})
            except ServiceError as exc:
                form.add_error(None, exc.message)
            else:
                names = [p.name for p in context.people if p.person_id in {e.person_id for e in entries}]
                messages.success(request, f"Consent recorded for {', '.join(names)}.")
                return _to_sharing(referral.reference, "consent")
    return render_form(
        request, "sharing/consent_form.html", form, title="Record consent", referral=referral, context=context,
        anchors={"person_ids": "person_ids", "scope_agencies": "scope_agencies"},
    )


# ------------------------------------------------------------------ overrides


def _basis_groups():
    """The active lawful bases, one group per category (each becomes its own fieldset)."""
    groups = []
    bases = selectors.lawful_bases(active_only=True)
    for category in BasisCategory:
        items = [(b.code, b.label) for b in bases if b.category == category]
        if items:
            groups.append({"category": category, "label": category.label, "items": items})
    return groups


def override_propose(request, reference):
    _hub_only(request)
    context = selectors.sharing_form(user=request.user, reference=reference, page="propose override")
    referral = context.referral
    bases = selectors.lawful_bases(active_only=True)
    form = OverrideForm(request.POST if request.method == "POST" else None, bases=[(b.code, b.label) for b in bases])
    if request.method == "POST" and form.is_valid():
        try:
            services.override_propose(
                user=request.user, referral=referral, basis_codes=form.cleaned_data["lawful_basis"], reason=form.cleaned_data["reason"],
            )
        except InvalidInput as exc:
            apply_service_errors(form, exc)
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            if is_manager(request.user):
                note = " Another MASH manager should authorise it; if you authorise it yourself you must give a second reason, and it is flagged for information governance."
            else:
                note = " A MASH manager must authorise it before information is shared."
            messages.success(request, f"Sharing without consent proposed for {referral.reference}.{note}")
            return _to_sharing(referral.reference, "overrides")
    return render_form(
        request, "sharing/override_form.html", form, title="Propose sharing without consent", referral=referral,
        context=context, groups=_basis_groups(), anchors={"lawful_basis": "lawful_basis"},
    )


def _override_page(request, reference, override_id):
    _hub_only(request)
    override = selectors.override_for_page(user=request.user, reference=reference, override_id=override_id)
    require(is_manager(request.user), "Only a MASH manager can authorise or reject sharing without consent")
    return override


def override_authorise(request, reference, override_id):
    override = _override_page(request, reference, override_id)
    own = override.proposed_by_id == request.user.pk
    form = AuthoriseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.override_authorise(user=request.user, override=override, second_reason=form.cleaned_data["second_reason"])
        except InvalidInput as exc:
            apply_service_errors(form, exc)
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            flag = " You proposed it yourself, so it is flagged as self-authorised for information governance." if own else ""
            messages.success(request, f"Sharing without consent authorised for {override.referral.reference}.{flag}")
            return _to_sharing(override.referral.reference, "overrides")
    return render_form(
        request, "sharing/override_decide.html", form, title="Authorise sharing without consent", override=override,
        referral=override.referral, own=own, action="authorise",
    )


def override_reject(request, reference, override_id):
    override = _override_page(request, reference, override_id)
    form = RejectForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.override_reject(user=request.user, override=override, reason=form.cleaned_data["reason"])
        except InvalidInput as exc:
            apply_service_errors(form, exc)
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Sharing without consent rejected for {override.referral.reference}. Information cannot be shared unless consent covers it or a new override is authorised.")
            return _to_sharing(override.referral.reference, "overrides")
    return render_form(
        request, "sharing/override_decide.html", form, title="Reject sharing without consent", override=override,
        referral=override.referral, own=override.proposed_by_id == request.user.pk, action="reject",
    )


# ------------------------------------------------------------------ the referrer's identity


def referrer_release(request, reference):
    _hub_only(request)
    context = selectors.sharing_form(user=request.user, reference=reference, page="release referrer")
    require(is_manager(request.user), "Only a MASH manager can release the referrer's identity")
    referral = context.referral
    choices = [(code, name) for code, name in context.status.asked if code not in context.released]
    form = ReleaseForm(request.POST if request.method == "POST" else None, agencies=choices)
    if request.method == "POST" and form.is_valid():
        try:
            releases = services.referrer_release(
                user=request.user, referral=referral, agency_codes=form.cleaned_data["agencies"], reason=form.cleaned_data["reason"],
            )
        except InvalidInput as exc:
            apply_service_errors(form, exc)
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            names = ", ".join(r.agency.name for r in releases)
            messages.success(request, f"Who made the referral can now be seen by {names}. Each release is in the sharing log.")
            return _to_sharing(referral.reference, "referrer")
    return render_form(
        request, "sharing/release_form.html", form, title="Release the referrer's identity", referral=referral,
        context=context, choices=choices, anchors={"agencies": "agencies"},
    )


# ------------------------------------------------------------------ outcome letters


def letter_new(request, reference):
    _hub_only(request)
    choices = selectors.letter_choices(user=request.user, reference=reference)
    referral = choices.referral
    offered = [(str(a.pk), a.request.agency.name) for a in choices.offered]
    form = LetterForm(request.POST if request.method == "POST" else None, answers=offered)
    blocked = ""
    if referral.referrer_anonymous:
        blocked = "The referrer is anonymous: there is no one to write to."
    elif referral.is_open:
        blocked = "Record the decision before writing to the referrer."
    if request.method == "POST" and form.is_valid():
        data = services.LetterInput(
            channel=form.cleaned_data["channel"],
            include_answer_ids=list(form.cleaned_data["include_answer_ids"]),  # the service reads the numbers
            not_shared_reason=form.cleaned_data["not_shared_reason"],
            message=form.cleaned_data["message"],
        )
        try:
            letter = services.outcome_letter_create(user=request.user, referral=referral, data=data)
        except InvalidInput as exc:
            apply_service_errors(form, exc)
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "The outcome letter has been recorded and logged as a disclosure. Send it as set out below.")
            return redirect("sharing:letter", reference=referral.reference, letter_id=letter.pk)
    return render_form(
        request, "sharing/letter_form.html", form, title="Write to the referrer", referral=referral, choices=choices,
        channels=LETTER_CHANNELS,
        blocked=blocked, anchors={"include_answer_ids": "include_answer_ids"},
    )


def letter_detail(request, reference, letter_id):
    _hub_only(request)
    letter = selectors.letter_for_view(user=request.user, reference=reference, letter_id=letter_id)
    return render(
        request, "sharing/letter.html",
        {"title": f"Outcome letter on {letter.referral.reference}", "letter": letter, "referral": letter.referral},
    )


# ------------------------------------------------------------------ information governance: the log


def _log_form(request):
    agencies = [(a.code, a.name) for a in agency_list()]
    bases = [(b.code, b.label + ("" if b.active else " (retired)")) for b in selectors.lawful_bases(active_only=False)]
    return LogSearchForm(request.GET, agencies=agencies, bases=bases)


def _log_query(form) -> selectors.LogQuery:
    data = form.cleaned_data
    return selectors.LogQuery(
        agency=data["agency"], basis=data["basis"], person=data["person"].strip(), reference=data["reference"].strip(),
        date_from=data["date_from"], date_to=data["date_to"],
    )


def _page_number(request) -> int:
    raw = request.GET.get("page", "1")
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < len(raw) <= 6 and int(raw) > 0 else 1


def sharing_log(request):
    require(can_search_sharing_log(request.user), "Only information governance and MASH managers can search the sharing log")
    form = _log_form(request)
    rows, total, page = [], 0, _page_number(request)
    if form.is_valid():
        rows, total = selectors.sharing_log_search(user=request.user, query=_log_query(form), page=page)
    pages = max(1, -(-total // selectors.LOG_PAGE))
    params = request.GET.copy()
    params.pop("page", None)
    query_string = params.urlencode()
    return render_form(
        request, "sharing/log.html", form, title="Sharing log", rows=rows, total=total, page=page, pages=pages,
        page_size=selectors.LOG_PAGE, query_string=query_string, can_open=is_hub_staff(request.user),
        anchors={"agency": "agency", "basis": "basis"},
    )


# Spreadsheet programs run a cell that starts with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _basis_text(event) -> str:
    if event.basis_kind == BasisKind.OVERRIDE:
        return "Override: " + ", ".join(event.basis_codes)
    if event.basis_kind:
        return BasisKind(event.basis_kind).label
    return ""


CSV_HEADER = [
    "When (UK time)", "When (UTC, ISO 8601)", "Referral", "Decision", "Kind", "From", "To", "What", "Withheld", "Why",
    "Basis", "Basis codes", "Channel", "People", "Recorded by", "Role", "Agency of recorder", "Event id",
]


def sharing_log_csv(request):
    require(can_search_sharing_log(request.user), "Only information governance and MASH managers can export the sharing log")
    form = _log_form(request)
    if not form.is_valid():
        return render_form(
            request, "sharing/log.html", form, title="Sharing log", rows=[], total=0, page=1, pages=1,
            page_size=selectors.LOG_PAGE, query_string="", can_open=is_hub_staff(request.user),
        )
    rows, _ = selectors.sharing_log_search(user=request.user, query=_log_query(form), export=True)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for e in rows:
        writer.writerow([_cell(v) for v in (
            clock.to_local(e.occurred_at).strftime("%Y-%m-%d %H:%M:%S"), e.occurred_at.astimezone(clock.UTC).isoformat(),
            e.referral.reference, e.get_decision_display(), e.get_kind_display(), e.from_party, e.to_party, e.what, e.withheld,
            e.why, _basis_text(e), " ".join(e.basis_codes), e.get_channel_display(),
            "; ".join(f"{p.given_name} {p.family_name} ({p.pk})" for p in e.subjects.all()),
            e.actor_name, e.actor_role, e.actor_agency, e.pk,
        )])
    response = HttpResponse(out.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
    stamp = clock.to_local(clock.now()).strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="sharing-log-{stamp}.csv"'
    return response


def override_report(request):
    require(can_search_sharing_log(request.user), "Only information governance and MASH managers can see the override report")
    form = OverrideReportForm(request.GET)
    only = form.is_valid() and form.cleaned_data["self_authorised"]
    rows = selectors.override_report(user=request.user, self_authorised_only=only)
    return render(
        request, "sharing/override_report.html",
        {"title": "Sharing without consent: overrides", "rows": rows, "only": only, "form": form,
         "can_open": is_hub_staff(request.user), "OverrideStatus": OverrideStatus},
    )


# ------------------------------------------------------------------ the lawful-basis list (administrators)


def _require_admin(request):
    require(is_administrator(request.user), "Only an administrator can change the list of lawful bases")


def lawful_basis_list(request):
    _require_admin(request)
    return render(
        request, "sharing/bases.html",
        {"title": "Lawful bases", "bases": selectors.lawful_bases(active_only=False), "categories": dict(BasisCategory.choices)},
    )


def lawful_basis_create(request):
    _require_admin(request)
    form = LawfulBasisForm(request.POST if request.method == "POST" else None, initial={"active": "yes"}, creating=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            basis = services.lawful_basis_save(
                user=request.user, code=data["code"], label=data["label"], category=data["category"], active=data["active"] == "yes",
            )
        except InvalidInput as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"“{basis.label}” added to the list of lawful bases.")
            return redirect("sharing:bases")
    return render_form(request, "sharing/basis_form.html", form, title="Add a lawful basis", creating=True)


def lawful_basis_edit(request, code):
    _require_admin(request)
    basis = selectors.lawful_basis_for_edit(code=code)
    initial = {"label": basis.label, "category": basis.category, "active": "yes" if basis.active else "no"}
    form = LawfulBasisForm(request.POST if request.method == "POST" else None, initial=initial, creating=False)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            basis = services.lawful_basis_save(
                user=request.user, code=basis.code, label=data["label"], category=data["category"],
                active=data["active"] == "yes", basis=basis,
            )
        except InvalidInput as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"“{basis.label}” saved.")
            return redirect("sharing:bases")
    return render_form(request, "sharing/basis_form.html", form, title="Change a lawful basis", creating=False, basis=basis)
