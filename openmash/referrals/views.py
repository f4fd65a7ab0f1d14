"""Pages for referrals: recording (a multi-page form), lists, the referral page, triage, decision,
and the clock policy. Thin: a form, one selector or service, then a redirect or a template."""

import datetime as dt
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from openmash.access.policy import (
    can_decide,
    can_record_referral,
    can_search_people,
    can_triage,
    is_administrator,
    is_hub_staff,
    require,
)
from openmash.accounts.selectors import team_list
from openmash.agencies.selectors import agency_list
from openmash.core import clock
from openmash.core.errors import Collector, InvalidInput, ServiceError
from openmash.core.forms import apply_service_errors, london_datetime
from openmash.core.views import render_form
from openmash.information_requests.codes import RequestStatus
from openmash.people import history as people_history
from openmash.people import selectors as people_selectors
from openmash.people.search import criteria_details, match_people
from openmash.people.codes import RelationshipKind
from openmash.people.forms import NewPersonForm, PersonSearchForm
from openmash.people.services import NewPerson, new_person_validate
from openmash.referrals import drafts, selectors, services
from openmash.referrals.codes import (
    RATING_HINTS,
    ConcernCategory,
    ConsentStatus,
    FamilyInformed,
    Outcome,
    Rating,
    ReferralSource,
    ReferralStatus,
)
from openmash.referrals.forms import (
    ClockForm,
    ClockPolicyForm,
    ConcernsForm,
    ConsentForm,
    DecisionForm,
    ReceivedForm,
    ReferrerForm,
    RelationshipsForm,
    TriageForm,
    warnings_text,
)
from openmash.sharing import selectors as sharing_selectors

KINDS = {"child": "children", "adult": "adults"}


def _require_recorder(request):
    require(can_record_referral(request.user), "Only MASH staff can record referrals")


# ------------------------------------------------------------------ lists


def dashboard(request):
    require(is_hub_staff(request.user), "Referral lists are for MASH staff")
    status = request.GET.get("status") or ""
    if status not in ReferralStatus.values:
        status = ""
    referrals = selectors.referral_queue(user=request.user, status=status or None, open_only=not status)
    counts = selectors.referral_status_counts(user=request.user)
    titles = {
        ReferralStatus.AWAITING_TRIAGE: "Triage queue",
        ReferralStatus.GATHERING: "Gathering information",
        ReferralStatus.DECIDED: "Decided referrals",
        "": "Open referrals",
    }
    return render(
        request,
        "referrals/dashboard.html",
        {
            "title": titles[status],
            "status": status,
            "referrals": referrals,
            "counts": counts,
            "has_draft": drafts.exists(request.session, request.user),
            # A MASH manager's worklist: proposals to share without consent waiting for their decision.
            "pending_overrides": sharing_selectors.pending_overrides(user=request.user),
        },
    )


# ------------------------------------------------------------------ recording a referral


def _draft(request):
    _require_recorder(request)
    return drafts.get(request.session, request.user)


def _next_or(request, default: str, **kwargs):
    """Back to check-your-answers when the page was opened from there, else on to the next page."""
    return redirect("referrals:new-check") if request.GET.get("return") == "check" else redirect(default, **kwargs)


def _step_form(request, form, step):
    """Attach the service's errors for this page to the form (the rules live in one place)."""
    draft = drafts.get(request.session, request.user)
    errors = drafts.errors_for_step(draft, step)
    if errors:
        apply_service_errors(form, InvalidInput("", errors=errors), field_map={"received_at": "received_date"})
        return False
    return True


def new_start(request):
    _require_recorder(request)
    if request.method == "POST":
        drafts.clear(request.session)
        drafts.get(request.session, request.user)
        return redirect("referrals:new-received")
    return render(
        request, "referrals/new/start.html",
        {"title": "Record a referral", "has_draft": drafts.exists(request.session, request.user)},
    )


def new_received(request):
    draft = _draft(request)
    initial = {
        "received_date": dt.date.fromisoformat(draft["received_date"]) if draft.get("received_date") else None,
        "received_time": draft.get("received_time", "")[:5],
        "source": draft.get("source", ""),
    }
    form = ReceivedForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        day, time = form.cleaned_data["received_date"], form.cleaned_data["received_time"]
        _, problem = london_datetime(day, time)
        if problem:
            form.add_error("received_time", problem)
        else:
            draft.update(received_date=day.isoformat(), received_time=time.isoformat(), source=form.cleaned_data["source"])
            drafts.save(request.session, draft)
            if _step_form(request, form, "received"):
                return _next_or(request, "referrals:new-referrer")
    return render_form(request, "referrals/new/received.html", form, title="When did the hub receive the referral?", anchors={"received_date": "received_date-day"})


def new_referrer(request):
    draft = _draft(request)
    form = ReferrerForm(request.POST if request.method == "POST" else None, initial=draft.get("referrer", {}))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        if data["anonymous"] == "yes":
            for key in ("referrer_name", "referrer_phone", "referrer_email"):
                data[key] = ""
        draft["referrer"] = data
        drafts.save(request.session, draft)
        if _step_form(request, form, "referrer"):
            return _next_or(request, "referrals:new-people", kind="child")
    return render_form(request, "referrals/new/referrer.html", form, title="Who made the referral?")


def _people_rows(request, draft, kind):
    """The people already added to the draft, for showing back: (index, entry, person or NewPerson)."""
    entries = draft.get(KINDS[kind], [])
    refs = [e["person"] if kind == "adult" else e for e in entries]
    ids = [r["person_id"] for r in refs if r.get("person_id") is not None]
    existing = people_selectors.people_by_ids(user=request.user, ids=ids)
    rows = []
    for i, (entry, ref) in enumerate(zip(entries, refs)):
        person = existing.get(ref["person_id"]) if ref.get("person_id") is not None else drafts.new_person_from_json(ref["new"])
        rows.append({"index": i, "entry": entry, "person": person, "existing": ref.get("person_id") is not None})
    return rows


def _histories(request, draft, rows):
    """The history of each known child on the draft, as of when the hub received the referral (or
    now, if that is not given yet): the child chosen last first."""
    received_at = drafts.to_input(draft).received_at or clock.now()
    chosen = draft.get("chosen")
    known = [row["person"] for row in rows if row["existing"] and row["person"] is not None]
    known.sort(key=lambda p: p.pk != chosen)
    return [
        people_history.person_history(user=request.user, person=p, on=received_at, audit_context="recording a referral")
        for p in known
    ]


def new_people(request, kind):
    if kind not in KINDS:
        raise Http404()
    draft = _draft(request)
    form = None
    errors = []
    if request.method == "POST":
        step_errors = drafts.errors_for_step(draft, KINDS[kind])
        if not step_errors:
            return _next_or(request, "referrals:new-people" if kind == "child" else "referrals:new-concerns", **({"kind": "adult"} if kind == "child" else {}))
        errors = [{"text": messages_[0], "href": "#people"} for messages_ in step_errors.values()]
    rows = _people_rows(request, draft, kind)
    return render(
        request,
        "referrals/new/people.html",
        {
            "title": "Children the referral is about" if kind == "child" else "Adults in the household",
            "kind": kind,
            "rows": rows,
            "histories": _histories(request, draft, rows) if kind == "child" else [],
            "children": _people_rows(request, draft, "child") if kind == "adult" else [],
            "form_errors": errors,
            "form": form,
            "relationship_labels": dict(RelationshipKind.choices),
        },
        status=400 if errors else 200,
    )


def _on_draft(draft) -> set:
    return {r.get("person_id") for r in draft.get("children", [])} | {a["person"].get("person_id") for a in draft.get("adults", [])}


def new_person_search(request, kind):
    """Candidates for the person being recorded, each with why it matched and its household. The
    ids shown are kept with the draft, so that the choice made next is audited against them."""
    if kind not in KINDS:
        raise Http404()
    draft = _draft(request)
    require(can_search_people(request.user))
    searched = bool(request.GET)
    form = PersonSearchForm(request.GET or None)
    candidates = []
    if searched and form.is_valid():
        criteria = people_selectors.SearchCriteria(**form.cleaned_data)
        problems = people_selectors.search_criteria_errors(criteria=criteria)
        if problems:
            apply_service_errors(form, InvalidInput("", errors=problems))
        else:
            candidates = match_people(user=request.user, criteria=criteria, limit=10, audit_context="recording a referral")
            draft["last_search"] = {
                "kind": kind,
                "shown": [c.person.pk for c in candidates],
                "criteria": criteria_details(criteria),
            }
            drafts.save(request.session, draft)
    return render_form(
        request, "referrals/new/person_search.html", form,
        title=f"Find the {kind} among people already known",
        kind=kind, searched=searched and not form.errors, candidates=candidates, on_draft=_on_draft(draft),
        anchors={"date_of_birth": "date_of_birth-day"},
    )


def _record_choice(request, draft, kind, chosen: int | None):
    """Audit the practitioner's choice against the candidates the last search showed them."""
    last = draft.pop("last_search", None) or {}
    if last.get("kind") != kind:
        last = {}
    people_history.match_choice_record(
        user=request.user, kind=kind, shown=last.get("shown", []), chosen=chosen,
        criteria=last.get("criteria", {}), audit_context="recording a referral",
    )
    return last


@require_POST
def new_person_select(request, kind):
    """"This is the person" (person_id) or "None of these – add a new person" (choice=new). Nothing
    is linked to anyone until the referral is recorded; the choice is audited either way."""
    if kind not in KINDS:
        raise Http404()
    draft = _draft(request)
    if request.POST.get("choice") == "new":
        last = _record_choice(request, draft, kind, None)
        drafts.save(request.session, draft)
        criteria = last.get("criteria", {})
        query = urlencode({k: criteria.get(k, "") for k in ("given_name", "family_name", "postcode", "nhs_number") if criteria.get(k)})
        return redirect(reverse("referrals:new-person-create", kwargs={"kind": kind}) + (f"?{query}" if query else ""))
    try:
        person = people_selectors.access_person_for_selection(user=request.user, person_id=request.POST.get("person_id"))
    except ServiceError:
        messages.error(request, "That person could not be found. Search again.")
        return redirect("referrals:new-person-search", kind=kind)
    # A record merged since the search was shown stands for the record it was merged into.
    person = people_history.merged_into(person=person) or person
    if person.pk in _on_draft(draft):
        messages.info(request, f"{person.full_name} is already on this referral.")
        return redirect("referrals:new-people", kind=kind)
    _record_choice(request, draft, kind, person.pk)
    if kind == "child":
        # The children page shows the history of every known child at once, this one first.
        draft["chosen"] = person.pk
    return _add_person(request, draft, kind, {"person_id": person.pk})


def _add_person(request, draft, kind, ref: dict):
    if kind == "child":
        draft["children"].append(ref)
        drafts.save(request.session, draft)
        return redirect("referrals:new-people", kind="child")
    draft["adults"].append({"person": ref, "relationships": {}, "parental_responsibility": {}})
    drafts.save(request.session, draft)
    return redirect("referrals:new-relationships", index=len(draft["adults"]) - 1)


def new_person_create(request, kind):
    if kind not in KINDS:
        raise Http404()
    draft = _draft(request)
    initial = {k: request.GET.get(k, "") for k in ("given_name", "family_name", "postcode", "nhs_number")}
    form = NewPersonForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["other_names"] = [n for n in (data.get("other_names") or "").splitlines() if n.strip()]
        person = NewPerson(**data)
        errors = Collector()
        received_on = dt.date.fromisoformat(draft["received_date"]) if draft.get("received_date") else clock.local_today()
        new_person_validate(person=person, errors=errors, as_child=kind == "child", on=received_on)
        if errors:
            apply_service_errors(form, InvalidInput("", errors=errors.errors))
        else:
            return _add_person(request, draft, kind, {"new": drafts.new_person_to_json(person)})
    return render_form(
        request, "referrals/new/person_form.html", form,
        title=f"Add a new {kind}", kind=kind, anchors={"date_of_birth": "date_of_birth-day", "sex": "sex"},
    )


@require_POST
def new_person_remove(request, kind, index):
    if kind not in KINDS:
        raise Http404()
    draft = _draft(request)
    entries = draft[KINDS[kind]]
    if not 0 <= index < len(entries):
        raise Http404()
    entries.pop(index)
    if kind == "child":
        # Relationships are keyed by child position: shift those after the removed child.
        for adult in draft["adults"]:
            for key in ("relationships", "parental_responsibility"):
                shifted = {}
                for position, value in adult.get(key, {}).items():
                    position = int(position)
                    if position < index:
                        shifted[str(position)] = value
                    elif position > index:
                        shifted[str(position - 1)] = value
                adult[key] = shifted
    drafts.save(request.session, draft)
    return redirect("referrals:new-people", kind=kind)


def new_relationships(request, index):
    draft = _draft(request)
    if not 0 <= index < len(draft["adults"]):
        raise Http404()
    adult = draft["adults"][index]
    rows = _people_rows(request, draft, "adult")
    children = _people_rows(request, draft, "child")
    if not children:
        messages.info(request, "Add the children first, then say how each adult is related to them.")
        return redirect("referrals:new-people", kind="child")
    child_names = [(row["index"], row["person"].given_name + " " + row["person"].family_name) for row in children]
    initial = {f"child_{k}": v for k, v in adult.get("relationships", {}).items()}
    initial.update({f"pr_{k}": v for k, v in adult.get("parental_responsibility", {}).items()})
    form = RelationshipsForm(request.POST if request.method == "POST" else None, initial=initial, children=child_names)
    if request.method == "POST" and form.is_valid():
        adult["relationships"] = {str(p): form.cleaned_data[f"child_{p}"] for p, _ in child_names}
        adult["parental_responsibility"] = {str(p): form.cleaned_data[f"pr_{p}"] for p, _ in child_names if form.cleaned_data.get(f"pr_{p}")}
        drafts.save(request.session, draft)
        return _next_or(request, "referrals:new-people", kind="adult")
    adult_person = rows[index]["person"]
    return render_form(
        request, "referrals/new/relationships.html", form,
        title=f"How is {adult_person.given_name} {adult_person.family_name} related to the children?",
        child_names=child_names,
    )


def new_concerns(request):
    draft = _draft(request)
    initial = {"concern_categories": draft.get("concern_categories", []), "concern_narrative": draft.get("concern_narrative", "")}
    form = ConcernsForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        draft.update(form.cleaned_data)
        drafts.save(request.session, draft)
        if _step_form(request, form, "concerns"):
            return _next_or(request, "referrals:new-consent")
    return render_form(request, "referrals/new/concerns.html", form, title="What are the concerns?")


def new_consent(request):
    draft = _draft(request)
    initial = {k: draft.get(k, "") for k in ("family_informed", "family_informed_notes", "consent", "consent_notes")}
    form = ConsentForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        draft.update(form.cleaned_data)
        drafts.save(request.session, draft)
        if _step_form(request, form, "consent"):
            return redirect("referrals:new-check")
    return render_form(request, "referrals/new/consent.html", form, title="What does the family know, and was consent given?")


STEP_URLS = {
    "received": "referrals:new-received",
    "referrer": "referrals:new-referrer",
    "concerns": "referrals:new-concerns",
    "consent": "referrals:new-consent",
}


def _step_url(step: str) -> str:
    if step in ("children", "adults"):
        return reverse("referrals:new-people", kwargs={"kind": "child" if step == "children" else "adult"})
    return reverse(STEP_URLS.get(step, "referrals:new-check"))


def new_check(request):
    draft = _draft(request)
    errors = []
    if request.method == "POST":
        try:
            referral = services.referral_create(user=request.user, data=drafts.to_input(draft))
        except InvalidInput as exc:
            errors = [{"text": msgs[0], "href": _step_url(drafts.step_of(field))} for field, msgs in exc.errors.items()]
        else:
            drafts.clear(request.session)
            return redirect("referrals:new-done", reference=referral.reference)
    data = drafts.to_input(draft)
    return render(
        request,
        "referrals/new/check.html",
        {
            "title": "Check your answers before recording the referral",
            "draft": draft,
            "data": data,
            "received_at": data.received_at,
            "source_label": dict(ReferralSource.choices).get(data.source, ""),
            "children": _people_rows(request, draft, "child"),
            "adults": _people_rows(request, draft, "adult"),
            "concern_labels": [ConcernCategory(c).label for c in data.concern_categories if c in ConcernCategory.values],
            "family_label": dict(FamilyInformed.choices).get(data.family_informed, ""),
            "consent_label": dict(ConsentStatus.choices).get(data.consent, ""),
            "form_errors": errors,
            "relationship_labels": dict(RelationshipKind.choices),
        },
        status=400 if errors else 200,
    )


def new_done(request, reference):
    _require_recorder(request)
    referral = selectors.referral_for_action(user=request.user, reference=reference)
    return render(request, "referrals/new/done.html", {"title": "Referral recorded", "referral": referral})


# ------------------------------------------------------------------ one referral


def detail(request, reference):
    page = selectors.referral_page(user=request.user, reference=reference)
    if page.view_as_agency:
        # An agency representative works from their agency's request, which shows what they may see.
        return redirect("information_requests:detail", request_id=page.requests[0].request.pk)
    return render(
        request,
        "referrals/detail.html",
        {
            "title": f"Referral {page.referral.reference}", "page": page, "RequestStatus": RequestStatus, "Outcome": Outcome,
            "sharing": sharing_selectors.sharing_status(referral=page.referral),
            "involvements": people_history.current_involvements(
                user=request.user, person_ids=[p.pk for p in page.household.children + page.household.adults]
            ),
        },
    )


def triage(request, reference):
    referral = selectors.referral_for_action(user=request.user, reference=reference)
    require(can_triage(request.user), "Only a MASH manager can rate a referral")
    agencies = list(agency_list(active_only=True))
    already = selectors.agencies_asked(referral=referral)
    choices = [(a.code, a.name) for a in agencies]
    # Active teams, and the referral's own if it has been deactivated since (it may be kept).
    teams = [t for t in team_list() if t.active or t.pk == referral.team_id]
    team_choices = [(t.code, t.name if t.active else f"{t.name} (no longer active)") for t in teams]
    own_team = request.user.team.code if request.user.team_id and request.user.team.active else ""
    # First rating: every active agency is asked unless unticked, and the manager's own team is
    # offered. Re-rating: only agencies added now; the team the referral has.
    initial = {"rating": referral.rating or None, "agencies": [] if already else [a.code for a in agencies],
               "team": referral.team.code if referral.team_id else own_team}
    form = TriageForm(request.POST if request.method == "POST" else None, initial=initial, agency_choices=choices,
                      team_choices=team_choices)
    if request.method == "POST" and form.is_valid():
        codes = form.cleaned_data["agencies"]
        previous_rating = referral.rating
        try:
            rated = services.referral_triage(
                user=request.user, referral=referral, rating=form.cleaned_data["rating"],
                rationale=form.cleaned_data["rationale"], agency_codes=codes,
                # Not sent at all (a script, not this page): the service's default, as in the API.
                team_code=form.cleaned_data["team"] if "team" in form.fields and "team" in request.POST else None,
            )
        except InvalidInput as exc:
            apply_service_errors(form, exc)
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            team_words = f" Team: {rated.team.name}." if rated.team_id else ""
            if previous_rating == rated.rating and not codes:
                messages.success(request, f"{referral.reference} is now the responsibility of {rated.team.name if rated.team_id else 'no team'}.")
            else:
                messages.success(request, f"{referral.reference} rated {Rating(form.cleaned_data['rating']).label}. Information requests sent.{team_words}")
            return redirect("referrals:detail", reference=referral.reference)
    # Whether consent or an override covers the agencies that could still be asked (the service decides).
    sharing = sharing_selectors.sharing_status(referral=referral, agency_codes=[a.code for a in agencies if a.code not in already])
    return render_form(
        request, "referrals/triage.html", form,
        title=f"Rate referral {referral.reference}" if not referral.rating else f"Re-rate referral {referral.reference}",
        referral=referral, already=already, rating_hints=RATING_HINTS, policies=selectors.clock_policies(), sharing=sharing,
        anchors={"rating": "rating", "agencies": "agencies", "team": "team"}, own_team=own_team,
    )


def decision(request, reference):
    referral = selectors.referral_for_action(user=request.user, reference=reference)
    require(can_decide(request.user), "Only a MASH manager can record the decision")
    context = selectors.decision_context(user=request.user, referral=referral)
    form = DecisionForm(request.POST if request.method == "POST" else None, children=context["children"])
    if request.method == "POST" and form.is_valid():
        data = services.DecisionInput(
            outcomes={c.pk: form.cleaned_data[f"outcome_{c.pk}"] for c in context["children"]},
            rationale=form.cleaned_data["rationale"],
            threshold_level=form.cleaned_data["threshold_level"],
            early_decision_reason=form.cleaned_data["early_decision_reason"],
            referrer_informed=form.cleaned_data["referrer_informed"],
            referrer_informed_method=form.cleaned_data["referrer_informed_method"],
            referrer_informed_notes=form.cleaned_data["referrer_informed_notes"],
        )
        try:
            services.decision_record(user=request.user, referral=referral, data=data)
        except InvalidInput as exc:
            apply_service_errors(form, exc, field_map={f"outcomes.{c.pk}": f"outcome_{c.pk}" for c in context["children"]})
        except ServiceError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Decision recorded for {referral.reference}.")
            return redirect("referrals:detail", reference=referral.reference)
    return render_form(
        request, "referrals/decision.html", form, title=f"Record the decision on {referral.reference}",
        referral=referral, sharing=sharing_selectors.sharing_status(referral=referral), **context,
    )


# ------------------------------------------------------------------ clock policy (administrators)


def clock_policy(request):
    require(is_administrator(request.user), "Only an administrator can change the clock policy")
    return render(
        request, "referrals/clock_policy.html",
        {"title": "Clock policy", "rules": selectors.clock_rules(), "decision_clock": selectors.decision_clock()},
    )


def clock_policy_edit(request, rating):
    require(is_administrator(request.user), "Only an administrator can change the clock policy")
    if rating not in Rating.values:
        raise Http404()
    current = {r.rating: r for r in selectors.clock_rules()}[rating]
    form = ClockPolicyForm(
        request.POST if request.method == "POST" else None,
        initial={"hours": Decimal(current.minutes) / 60, "basis": current.basis, "warning_percents": warnings_text(current.warning_percents)},
    )
    if request.method == "POST" and form.is_valid():
        hours = form.cleaned_data["hours"]
        try:
            services.clock_policy_update(
                user=request.user, rating=rating, minutes=int(round(hours * 60)), basis=form.cleaned_data["basis"],
                warning_percents=form.cleaned_data["warning_percents"],
            )
        except InvalidInput as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"The {Rating(rating).label} clock has been changed. Requests already sent keep their due times.")
            return redirect("referrals:clock-policy")
    return render_form(request, "referrals/clock_policy_edit.html", form, title=f"Change the {Rating(rating).label} clock", rating=rating)


def decision_clock_edit(request):
    require(is_administrator(request.user), "Only an administrator can change the decision clock")
    minutes, basis = selectors.decision_clock()
    form = ClockForm(request.POST if request.method == "POST" else None, initial={"hours": Decimal(minutes) / 60, "basis": basis})
    if request.method == "POST" and form.is_valid():
        try:
            services.decision_clock_update(
                user=request.user, minutes=int(round(form.cleaned_data["hours"] * 60)), basis=form.cleaned_data["basis"]
            )
        except InvalidInput as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "The decision clock has been changed. Referrals already recorded keep their decision due times.")
            return redirect("referrals:clock-policy")
    return render_form(request, "referrals/decision_clock_edit.html", form, title="Change the decision clock")
