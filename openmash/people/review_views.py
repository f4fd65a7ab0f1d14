"""Pages for the duplicate review queue: the queue, one pair side by side (merge, or "not the same
person"), and one merge (what moved; undo). ADR 0013.

Thin: a form, one selector or service from `openmash.people.merging`, then a redirect or a template.
Hub staff see the queue and its pairs (anyone else is refused the queue and told a pair or a merge does
not exist); only a MASH manager may merge, undo or decide "not the same person" (403 for other hub staff).
"""

from django.contrib import messages
from django.shortcuts import redirect, render

from openmash.access.policy import can_review_duplicates, can_see_duplicates, require
from openmash.core.errors import InvalidInput, ServiceError
from openmash.core.forms import apply_service_errors, error_summary
from openmash.core.views import render_form
from openmash.people import merging
from openmash.people.review_forms import MergeForm, NotSameForm, QueueFilterForm, UndoForm

NO_ACTION = "Choose whether to merge the two records or to record that they are different people"


def _page_number(request) -> int:
    raw = request.GET.get("page", "1")
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < len(raw) <= 6 and int(raw) > 0 else 1


def queue(request):
    require(can_see_duplicates(request.user), "Only MASH staff can see the duplicate review queue")
    form = QueueFilterForm(request.GET)
    status, band = "open", ""
    if form.is_valid():
        status, band = form.cleaned_data["status"], form.cleaned_data["band"]
    page = merging.duplicate_queue(user=request.user, band=band, status=status, page=_page_number(request))
    params = request.GET.copy()
    params.pop("page", None)
    return render_form(
        request, "people/duplicates/queue.html", form, title="Possible duplicate records", page=page,
        query_string=params.urlencode(), can_review=can_review_duplicates(request.user), anchors={"band": "band"},
    )


def _records(pair) -> list[tuple[str, str]]:
    return [(str(pair.person_a_id), str(pair.person_a_id)), (str(pair.person_b_id), str(pair.person_b_id))]


def review(request, pair_id):
    pair = merging.access_duplicate_pair(user=request.user, pair_id=pair_id)
    merge_form = MergeForm(None, records=_records(pair))
    not_same_form = NotSameForm(None)
    form_errors = []
    if request.method == "POST":
        require(can_review_duplicates(request.user), "Only a MASH manager can merge records or decide that they are different people")
        action = request.POST.get("action")
        if action == "merge":
            merge_form = MergeForm(request.POST, records=_records(pair))
            if merge_form.is_valid():
                keep = int(merge_form.cleaned_data["keep"])
                other = pair.person_b_id if keep == pair.person_a_id else pair.person_a_id
                try:
                    merge = merging.merge_people(
                        user=request.user,
                        kept=merging.person_for_merge(user=request.user, person_id=keep),
                        merged=merging.person_for_merge(user=request.user, person_id=other),
                        reason=merge_form.cleaned_data["reason"],
                        pair=pair,
                    )
                except InvalidInput as exc:
                    apply_service_errors(merge_form, exc)
                except ServiceError as exc:
                    merge_form.add_error(None, exc.message)
                else:
                    messages.success(
                        request,
                        f"Record {merge.merged_id} has been merged into record {merge.kept_id}. Links to record "
                        f"{merge.merged_id} now lead to record {merge.kept_id}. You can undo this merge from this page.",
                    )
                    return redirect("people:merge", merge_id=merge.pk)
            form_errors = error_summary(merge_form, {"keep": "keep"})
        elif action == "not_same":
            not_same_form = NotSameForm(request.POST)
            if not_same_form.is_valid():
                try:
                    merging.mark_not_same(user=request.user, pair=pair, note=not_same_form.cleaned_data["note"])
                except InvalidInput as exc:
                    apply_service_errors(not_same_form, exc)
                except ServiceError as exc:
                    not_same_form.add_error(None, exc.message)
                else:
                    messages.success(request, f"Records {pair.person_a_id} and {pair.person_b_id} are recorded as different people. They will not be suggested again.")
                    return redirect("people:duplicates")
            form_errors = error_summary(not_same_form)
        else:
            form_errors = [{"text": NO_ACTION, "href": "#decide"}]
    page = merging.duplicate_review(user=request.user, pair_id=pair.pk)
    if not merge_form.is_bound:
        merge_form = MergeForm(None, records=_records(pair), initial={"keep": str(page.default_keep)})
    return render(
        request, "people/duplicates/review.html",
        {"title": "Are these the same person?", "page": page, "merge_form": merge_form, "not_same_form": not_same_form,
         "form_errors": form_errors, "can_review": can_review_duplicates(request.user)},
        status=400 if form_errors else 200,
    )


def merge_detail(request, merge_id):
    merge = merging.access_merge(user=request.user, merge_id=merge_id)
    form = UndoForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        require(can_review_duplicates(request.user), "Only a MASH manager can undo a merge")
        if form.is_valid():
            try:
                merging.undo_merge(user=request.user, merge=merge, reason=form.cleaned_data["reason"])
            except InvalidInput as exc:
                apply_service_errors(form, exc)
            except ServiceError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    f"The merge has been undone: record {merge.merged_id} is a record of its own again, with everything "
                    f"that was moved from it. The pair is back in the queue for review.",
                )
                return redirect("people:merge", merge_id=merge.pk)
    page = merging.merge_page(user=request.user, merge_id=merge.pk)
    return render_form(
        request, "people/duplicates/merge.html", form, title=f"Merge of record {page.merge.merged_id} into record {page.merge.kept_id}",
        page=page, can_undo=can_review_duplicates(request.user) and not page.undo_blocked,
    )
