"""The duplicate review pages: the queue, a pair side by side, a merge and its undo (ADR 0013)."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from openmash.audit.models import AuditEvent
from openmash.core import clock
from openmash.core.testing.factories import make_referral
from openmash.people.models import DuplicatePair, Person, PersonMerge
from openmash.people.services import NewPerson, person_create

REASON = "Same NHS number on the GP record; the school confirmed one child."


def new_person(hub, **fields) -> Person:
    return person_create(user=hub["practitioner"], data=NewPerson(**{"sex": "M", **fields}))


def pair_of(a, b, probability=0.97, band="likely"):
    low, high = sorted((a.pk, b.pk))
    return DuplicatePair.objects.create(
        person_a_id=low, person_b_id=high, score=8.0, probability=probability, band=band, found_at=clock.now()
    )


@pytest.fixture
def world(hub):
    referral = make_referral(hub)
    jayden = referral.people.get(kind="child", person__given_name="Jayden").person
    jaden = new_person(hub, given_name="Jaden", family_name="Smyth", date_of_birth=dt.date(2018, 3, 7),
                       postcode="SE15 4AB", address_line_1="14 Alder Road")
    return {"referral": referral, "a": jayden, "b": jaden, "pair": pair_of(jayden, jaden), "users": hub}


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.mark.django_db
def test_the_queue_lists_open_pairs_best_first_with_counts_and_a_band_filter(client, world, hub):
    c = new_person(hub, given_name="Amira", family_name="Hassan", date_of_birth=dt.date(2012, 1, 1), sex="F")
    d = new_person(hub, given_name="Amirah", family_name="Hassan", date_of_birth=dt.date(2012, 1, 1), sex="F")
    best = pair_of(c, d, probability=0.999, band="very likely")
    client.force_login(hub["manager"])
    response = client.get(reverse("people:duplicates"))
    assert response.status_code == 200
    body = _text(response)
    assert body.index("Amira Hassan") < body.index("Jayden Smith"), "the most likely pair first"
    assert "2 pairs" in body and "Waiting for review (2)" in body
    assert reverse("people:duplicate", args=[best.pk]) in body
    only = _text(client.get(reverse("people:duplicates"), {"band": "very likely"}))
    assert "Amira Hassan" in only and "Jayden Smith" not in only
    bad = client.get(reverse("people:duplicates"), {"band": "certain"})
    assert bad.status_code == 400 and "Select a valid choice" in _text(bad)
    event = AuditEvent.objects.filter(action="duplicate.list").last()
    assert event.details["pairs"] == [best.pk, world["pair"].pk]


@pytest.mark.django_db
def test_the_queue_is_paginated(client, world, hub):
    base = world["a"]
    for i in range(27):
        other = new_person(hub, given_name="Jayden", family_name=f"Smith{i}", date_of_birth=dt.date(2018, 7, 3))
        pair_of(base, other, probability=0.5 + i / 100, band="possible")
    client.force_login(hub["manager"])
    first = _text(client.get(reverse("people:duplicates")))
    assert "28 pairs" in first and "Page 1 of 2" in first
    second = client.get(reverse("people:duplicates"), {"page": "2"})
    assert second.status_code == 200 and "Showing 26 to 28 of 28" in _text(second)
    assert client.get(reverse("people:duplicates"), {"page": "99999999"}).status_code == 200


@pytest.mark.django_db
def test_the_review_page_shows_both_records_and_why_they_match(client, world, hub):
    client.force_login(hub["manager"])
    pair = world["pair"]
    response = client.get(reverse("people:duplicate", args=[pair.pk]))
    assert response.status_code == 200
    body = _text(response)
    for text in ("Jayden Smith", "Jaden Smyth", "Day and month swapped", "Tyler Smith", "Kerry Smith", "Merge the records",
                 "Record as different people", world["referral"].reference):
        assert text in body, text
    assert f'value="{pair.person_a_id}" checked' in body, "the older record is kept by default"
    views = AuditEvent.objects.filter(action="person.view", details__pair=pair.pk)
    assert sorted(views.values_list("object_id", flat=True)) == sorted([str(pair.person_a_id), str(pair.person_b_id)])


@pytest.mark.django_db
def test_a_practitioner_sees_the_pair_but_cannot_decide(client, world, hub):
    client.force_login(hub["practitioner"])
    url = reverse("people:duplicate", args=[world["pair"].pk])
    body = _text(client.get(url))
    assert "Only a MASH manager can merge" in body and "Merge the records" not in body
    assert client.post(url, {"action": "merge", "keep": world["a"].pk, "reason": REASON}).status_code == 403
    assert client.post(url, {"action": "not_same", "note": "Twins."}).status_code == 403
    assert DuplicatePair.objects.get(pk=world["pair"].pk).status == "open"


@pytest.mark.django_db
def test_merge_errors_are_shown_next_to_the_field(client, world, hub):
    client.force_login(hub["manager"])
    url = reverse("people:duplicate", args=[world["pair"].pk])
    response = client.post(url, {"action": "merge", "keep": str(world["a"].pk), "reason": "  "})
    assert response.status_code == 400
    body = _text(response)
    assert "There is a problem" in body and 'href="#reason"' in body
    assert 'id="reason-error"' in body and "Enter why these two records are the same person" in body
    stranger = new_person(hub, given_name="Ali", family_name="Khan")
    response = client.post(url, {"action": "merge", "keep": str(stranger.pk), "reason": REASON})
    assert response.status_code == 400 and "Select one of the two records to keep" in _text(response)
    response = client.post(url, {"reason": REASON})
    assert response.status_code == 400 and "Choose whether to merge" in _text(response)
    assert Person.objects.get(pk=world["b"].pk).merged_into_id is None


@pytest.mark.django_db
def test_merge_then_undo_through_the_pages(client, world, hub):
    client.force_login(hub["manager"])
    pair, a, b = world["pair"], world["a"], world["b"]
    response = client.post(reverse("people:duplicate", args=[pair.pk]), {"action": "merge", "keep": str(a.pk), "reason": REASON})
    merge = PersonMerge.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("people:merge", args=[merge.pk])
    assert (merge.kept_id, merge.merged_id) == (a.pk, b.pk)
    page = _text(client.get(reverse("people:merge", args=[merge.pk])))
    assert f"Merge of record {b.pk} into record {a.pk}" in page and REASON in page
    assert "Addresses: 1 moved to the record kept" in page and "Undo the merge" in page
    assert AuditEvent.objects.filter(action="person.merge.view", details__merge=merge.pk).exists()

    # The pair is stale now: a second decision gets a clear message, not a server error.
    stale = client.post(reverse("people:duplicate", args=[pair.pk]), {"action": "not_same", "note": "Twins."})
    assert stale.status_code == 400 and "already been reviewed" in _text(stale)
    stale = client.post(reverse("people:duplicate", args=[pair.pk]), {"action": "merge", "keep": str(a.pk), "reason": REASON})
    assert stale.status_code == 400 and "already been reviewed" in _text(stale)

    empty = client.post(reverse("people:merge", args=[merge.pk]), {"reason": ""})
    assert empty.status_code == 400 and "Enter why the merge is being undone" in _text(empty)
    client.force_login(hub["practitioner"])
    assert client.post(reverse("people:merge", args=[merge.pk]), {"reason": "Wrong."}).status_code == 403
    client.force_login(hub["manager"])
    done = client.post(reverse("people:merge", args=[merge.pk]), {"reason": "Two boys after all."})
    assert done.status_code == 302
    assert Person.objects.get(pk=b.pk).merged_into_id is None
    assert DuplicatePair.objects.get(pk=pair.pk).status == "open"
    again = client.post(reverse("people:merge", args=[merge.pk]), {"reason": "Again."})
    assert again.status_code == 400 and "already been undone" in _text(again) and "Undo the merge</button>" not in _text(again)


@pytest.mark.django_db
def test_not_the_same_person_through_the_page(client, world, hub):
    client.force_login(hub["manager"])
    url = reverse("people:duplicate", args=[world["pair"].pk])
    empty = client.post(url, {"action": "not_same", "note": ""})
    assert empty.status_code == 400 and "Enter how you know these are two different people" in _text(empty)
    done = client.post(url, {"action": "not_same", "note": "Twins, named a day apart at the registry."})
    assert done.status_code == 302 and done["Location"] == reverse("people:duplicates")
    assert DuplicatePair.objects.get(pk=world["pair"].pk).status == "not_same"
    queue = _text(client.get(reverse("people:duplicates")))
    assert "No pairs are waiting for review" in queue
    assert "Not the same person (1)" in queue


@pytest.mark.django_db
def test_records_recorded_as_different_people_cannot_be_merged_from_the_page(client, world, hub):
    mother = world["referral"].people.get(kind="adult").person
    pair = pair_of(world["a"], mother)
    client.force_login(hub["manager"])
    url = reverse("people:duplicate", args=[pair.pk])
    body = _text(client.get(url))
    assert "recorded as two different people" in body and "Merge the records" not in body
    response = client.post(url, {"action": "merge", "keep": str(world["a"].pk), "reason": REASON})
    assert response.status_code == 400 and "cannot be merged" in _text(response)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["police-rep", "analyst", "admin", "ig"])
def test_outside_the_hub_pairs_and_merges_do_not_exist(client, world, hub, role):
    client.force_login(hub["manager"])
    client.post(reverse("people:duplicate", args=[world["pair"].pk]), {"action": "merge", "keep": str(world["a"].pk), "reason": REASON})
    merge = PersonMerge.objects.get()
    client.force_login(hub[role])
    assert client.get(reverse("people:duplicates")).status_code == 403
    assert client.get(reverse("people:duplicate", args=[world["pair"].pk])).status_code == 404
    assert client.get(reverse("people:merge", args=[merge.pk])).status_code == 404
    assert client.post(reverse("people:merge", args=[merge.pk]), {"reason": "x"}).status_code == 404


@pytest.mark.django_db
def test_unknown_ids_are_not_found(client, world, hub):
    client.force_login(hub["manager"])
    assert client.get(reverse("people:duplicate", args=[999999])).status_code == 404
    assert client.get(reverse("people:merge", args=[999999])).status_code == 404
    assert client.get("/people/duplicates/99999999999999999999/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("username, shown", [("manager", True), ("practitioner", False), ("ig", False), ("police-rep", False)])
def test_the_queue_is_in_a_managers_navigation(client, hub, username, shown):
    client.force_login(hub[username])
    body = client.get(reverse("escalation:list")).content.decode()
    nav = re.search(r'<ul class="govuk-service-navigation__list".*?</ul>', body, re.S).group(0)
    assert (reverse("people:duplicates") in nav) is shown
