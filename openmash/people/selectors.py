"""Reads for people: search, the person page, and the household named on a referral."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch, Q

from openmash.access.policy import access_person, people_visible_to, referrals_visible_to
from openmash.audit.services import audit_record
from openmash.people.identifiers import clean_nhs_number, clean_postcode, normalise_name
from openmash.people.models import Address, Involvement, Person, Relationship

SEARCH_LIMIT_MAX = 50


@dataclass
class Household:
    children: list[Person]
    adults: list[Person]
    relationships: dict[tuple[int, int], list[Relationship]]  # (adult id, child id) → relationships

    def relationships_of(self, adult: Person, child: Person) -> list[Relationship]:
        return self.relationships.get((adult.pk, child.pk), [])


def referral_household(*, referral) -> Household:
    """The children and adults on a referral, with current addresses, other names and how they relate.
    Not access-checked: callers have already fetched the referral through `access_*`."""
    links = list(
        referral.people.select_related("person").prefetch_related(
            Prefetch("person__addresses", queryset=Address.objects.filter(is_current=True), to_attr="current_addresses"),
            "person__other_names",
        )
    )
    children = [link.person for link in links if link.kind == "child"]
    adults = [link.person for link in links if link.kind == "adult"]
    ids = [p.pk for p in children + adults]
    relationships: dict[tuple[int, int], list[Relationship]] = {}
    for rel in Relationship.objects.filter(adult_id__in=ids, child_id__in=ids):
        relationships.setdefault((rel.adult_id, rel.child_id), []).append(rel)
    return Household(children=children, adults=adults, relationships=relationships)


@dataclass
class SearchCriteria:
    given_name: str = ""
    family_name: str = ""
    date_of_birth: dt.date | None = None
    postcode: str = ""
    nhs_number: str = ""

    @property
    def is_empty(self) -> bool:
        return not any((self.given_name, self.family_name, self.date_of_birth, self.postcode, self.nhs_number))


def search_criteria_errors(*, criteria: SearchCriteria) -> dict[str, list[str]]:
    """Normalise the criteria in place; report identifiers that cannot be valid."""
    errors: dict[str, list[str]] = {}
    for name, cleaner in (("nhs_number", clean_nhs_number), ("postcode", clean_postcode)):
        try:
            setattr(criteria, name, cleaner(getattr(criteria, name)))
        except ValueError as exc:
            errors[name] = [str(exc)]
    for name in ("given_name", "family_name"):
        value = (getattr(criteria, name) or "").strip()
        if len(value) > 100:
            errors[name] = ["Names must be 100 characters or fewer"]
        elif value and not normalise_name(value):
            # Only punctuation: it would match everyone, which is never what was meant.
            errors[name] = ["Enter a name that includes at least one letter"]
        setattr(criteria, name, value)
    if criteria.is_empty and not errors:
        errors["family_name"] = ["Enter a name, date of birth, postcode or NHS number to search"]
    return errors


def person_search(*, user, criteria: SearchCriteria, limit: int = 10, audit_context: str = "") -> list[Person]:
    """An exact-ish search: an NHS number finds that person; otherwise every criterion given must
    match — names case- and accent-insensitively from their start (also against other names), the
    date of birth exactly, the postcode in full against any address. Audited with the criteria."""
    limit = max(1, min(limit, SEARCH_LIMIT_MAX))
    qs = people_visible_to(user)
    if criteria.nhs_number:
        qs = qs.filter(nhs_number=criteria.nhs_number)
    else:
        if criteria.family_name:
            family = normalise_name(criteria.family_name)
            qs = qs.filter(Q(family_name_norm__startswith=family) | Q(other_names__family_name_norm__startswith=family))
        if criteria.given_name:
            given = normalise_name(criteria.given_name)
            qs = qs.filter(Q(given_name_norm__startswith=given) | Q(other_names__given_name_norm__startswith=given))
        if criteria.date_of_birth:
            qs = qs.filter(date_of_birth=criteria.date_of_birth)
        if criteria.postcode:
            qs = qs.filter(addresses__postcode=criteria.postcode)
    results = list(
        qs.distinct()
        .prefetch_related(
            Prefetch("addresses", queryset=Address.objects.filter(is_current=True), to_attr="current_addresses"),
            "other_names",
        )
        .order_by("family_name_norm", "given_name_norm", "date_of_birth", "id")[:limit]
    )
    audit_record(
        user=user,
        action="person.search",
        object_type="person",
        details={
            "criteria": {
                "given_name": criteria.given_name,
                "family_name": criteria.family_name,
                "date_of_birth": criteria.date_of_birth.isoformat() if criteria.date_of_birth else "",
                "postcode": criteria.postcode,
                "nhs_number": criteria.nhs_number,
            },
            "results": [p.pk for p in results],
            "context": audit_context,
        },
    )
    return results


@dataclass
class PersonPage:
    person: Person
    addresses: list[Address]
    relationships_as_child: list[Relationship]
    relationships_as_adult: list[Relationship]
    involvements: list[Involvement]
    referrals: list  # (referral, kind) pairs the viewer may see


def person_page(*, user, person_id) -> PersonPage:
    person = access_person(user=user, person_id=person_id)
    visible = referrals_visible_to(user)
    links = (
        person.referral_links.filter(referral__in=visible).select_related("referral").order_by("-referral__received_at")
    )
    page = PersonPage(
        person=person,
        addresses=list(person.addresses.all()),
        relationships_as_child=list(person.relationships_as_child.select_related("adult")),
        relationships_as_adult=list(person.relationships_as_adult.select_related("child")),
        involvements=list(person.involvements.select_related("agency")),
        referrals=[(link.referral, link.get_kind_display()) for link in links],
    )
    audit_record(user=user, action="person.view", object_type="person", object_id=person.pk)
    return page


def people_by_ids(*, user, ids: list[int]) -> dict[int, Person]:
    """People the user may see, by id (used to show chosen people back while recording a referral)."""
    return people_visible_to(user).prefetch_related(
        Prefetch("addresses", queryset=Address.objects.filter(is_current=True), to_attr="current_addresses")
    ).in_bulk(ids)


def access_person_for_selection(*, user, person_id) -> Person:
    """A person chosen from search results to add to a referral (same visibility as search)."""
    return access_person(user=user, person_id=person_id)
