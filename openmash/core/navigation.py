"""The service navigation for each role (what a user can reach from every page)."""

from django.urls import reverse

from openmash.access.policy import (
    can_record_referral,
    can_review_duplicates,
    can_search_sharing_log,
    can_see_reports,
    is_administrator,
    is_agency_rep,
    is_hub_staff,
)


def navigation(request) -> list[dict]:
    user = request.user
    items: list[tuple[str, str]] = []
    if is_hub_staff(user):
        items.append(("Open referrals", reverse("referrals:dashboard")))
        items.append(("Triage queue", reverse("referrals:dashboard") + "?status=awaiting_triage"))
        if can_record_referral(user):
            items.append(("Record a referral", reverse("referrals:new-start")))
        items.append(("Find a person", reverse("people:search")))
        if can_review_duplicates(user):
            items.append(("Duplicates", reverse("people:duplicates")))
    if can_search_sharing_log(user):
        # Information governance, and MASH managers who answer for the hub's sharing decisions.
        items.append(("Sharing log", reverse("sharing:log")))
        items.append(("Overrides", reverse("sharing:override-report")))
    if can_see_reports(user):
        # Managers and analysts: the performance measures and the phase-two insight (issue 6).
        items.append(("Reports", reverse("reports:performance")))
        items.append(("Insight", reverse("reports:insight")))
    if is_agency_rep(user):
        items.append(("Information requests", reverse("information_requests:list")))
    if is_administrator(user):
        items.append(("Agencies", reverse("agencies:list")))
        items.append(("Users", reverse("accounts:user-list")))
        items.append(("Hub teams", reverse("accounts:team-list")))
        items.append(("Clock policy", reverse("referrals:clock-policy")))
        items.append(("Lawful bases", reverse("sharing:bases")))
        items.append(("Wall boards", reverse("board:admin-list")))
    full = request.get_full_path()
    path = request.path
    best = None
    for text, href in items:
        # The most specific item that matches the current page is the active one.
        if full == href or (("?" not in href) and path.startswith(href) and href != "/"):
            if best is None or len(href) > len(best):
                best = href
    return [{"href": href, "text": text, "active": href == best} for text, href in items]
