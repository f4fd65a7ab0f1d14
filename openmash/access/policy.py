import re

from django.db.models import Exists, OuterRef, QuerySet

from openmash.accounts.roles import Role
from openmash.core.errors import Forbidden, NotFound
from openmash.information_requests.models import InformationAnswer, InformationRequest, Restriction
from openmash.people.models import Person
from openmash.referrals.models import Referral

# ---------------------------------------------------------------- predicates


def is_hub_staff(user) -> bool:
    return user.is_authenticated and user.is_active and user.role in (Role.MANAGER, Role.PRACTITIONER)


def is_manager(user) -> bool:
    return user.is_authenticated and user.is_active and user.role == Role.MANAGER


def is_agency_rep(user) -> bool:
    return user.is_authenticated and user.is_active and user.role == Role.AGENCY_REP and user.agency_id is not None


def is_administrator(user) -> bool:
    return user.is_authenticated and user.is_active and user.role == Role.ADMINISTRATOR


def is_ig_officer(user) -> bool:
    return user.is_authenticated and user.is_active and user.role == Role.IG_OFFICER


def can_search_sharing_log(user) -> bool:
    """Information governance reads the sharing log across referrals; MASH managers answer for it too."""
    return is_ig_officer(user) or is_manager(user)


def can_record_referral(user) -> bool:
    return is_hub_staff(user)


def can_search_people(user) -> bool:
    return is_hub_staff(user)


def can_triage(user) -> bool:
    return is_manager(user)


def can_decide(user) -> bool:
    return is_manager(user)


def can_answer(user, request: InformationRequest) -> bool:
    return is_agency_rep(user) and request.agency_id == user.agency_id


def can_see_answer(user, answer: InformationAnswer) -> bool:
    """Hub staff see answers, except that "MASH manager only" ones are for managers alone; an agency
    representative sees only their own agency's answers."""
    if is_agency_rep(user):
        return answer.request.agency_id == user.agency_id
    if is_manager(user):
        return True
    if is_hub_staff(user):
        return answer.restriction != Restriction.MANAGER_ONLY
    return False


def can_see_involvement(user, involvement) -> bool:
    """Who is involved with a person is seen with the person, except that an involvement named in an
    agency's answer on a referral is seen only by those who may see that answer: the answer's
    restriction goes with everything it named. Load `answer__request` with the involvement."""
    if involvement.answer_id is None:
        return True
    return can_see_answer(user, involvement.answer)


# ---------------------------------------------------------------- scoped querysets


def referrals_visible_to(user) -> QuerySet[Referral]:
    if is_hub_staff(user):
        return Referral.objects.all()
    if is_agency_rep(user):
        mine = InformationRequest.objects.filter(referral=OuterRef("pk"), agency_id=user.agency_id)
        return Referral.objects.filter(Exists(mine))
    return Referral.objects.none()


def requests_visible_to(user) -> QuerySet[InformationRequest]:
    if is_hub_staff(user):
        return InformationRequest.objects.all()
    if is_agency_rep(user):
        return InformationRequest.objects.filter(agency_id=user.agency_id)
    return InformationRequest.objects.none()


def people_visible_to(user) -> QuerySet[Person]:
    """Hub staff may look anyone up; agency representatives see people only inside a request."""
    if is_hub_staff(user):
        return Person.objects.all()
    return Person.objects.none()


# ---------------------------------------------------------------- access helpers


_REFERENCE = re.compile(r"^[A-Za-z0-9-]{1,32}$")


def access_referral(*, user, reference: str, for_update: bool = False) -> Referral:
    if not isinstance(reference, str) or not _REFERENCE.match(reference):
        # Not a reference at all (and a NUL byte would be refused by PostgreSQL with a 500).
        raise NotFound("No such referral")
    qs = referrals_visible_to(user)
    if for_update:
        qs = qs.select_for_update()
    referral = qs.filter(reference=reference).first()
    if referral is None:
        raise NotFound(f"No referral {reference} that you can see")
    return referral


def access_information_request(*, user, request_id, for_update: bool = False) -> InformationRequest:
    try:
        request_id = int(request_id)
    except (TypeError, ValueError):
        raise NotFound("No such information request") from None
    qs = requests_visible_to(user).select_related("referral", "agency")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    request = qs.filter(pk=request_id).first()
    if request is None:
        raise NotFound("No such information request that you can see")
    return request


def access_person(*, user, person_id) -> Person:
    try:
        person_id = int(person_id)
    except (TypeError, ValueError):
        raise NotFound("No such person") from None
    person = people_visible_to(user).filter(pk=person_id).first()
    if person is None:
        raise NotFound("No such person that you can see")
    return person


def require(allowed: bool, message: str = "You do not have permission to do this"):
    """For actions on a record the user can already see: their role may not do this."""
    if not allowed:
        raise Forbidden(message)


def access_board(*, key: str):
    """The wall board whose secret is `key`, if it has not been revoked; else NotFound.

    A board is a device, not a user: it has no role and sees only what `openmash.board.selectors`
    gives a board of its kind.
    """
    from openmash.board.models import BoardDisplay

    if not isinstance(key, str) or not key.startswith("brd_") or len(key) > 100:
        raise NotFound("No such board")
    board = BoardDisplay.objects.select_related("agency").filter(key_hash=BoardDisplay.hash_key(key), revoked_at__isnull=True).first()
    if board is None:
        raise NotFound("No such board, or it has been revoked")
    return board


def access_notification(*, user, notification_id):
    """One of the user's own in-service notifications; anyone else's, or none, is NotFound."""
    from openmash.escalation.codes import Channel
    from openmash.escalation.models import Notification

    try:
        notification_id = int(notification_id)
    except (TypeError, ValueError):
        raise NotFound("No such notification") from None
    if not (user.is_authenticated and user.is_active) or not 0 < notification_id < 2**63:
        raise NotFound("No such notification")
    notification = (
        Notification.objects.select_related("notice__referral", "notice__request__agency")
        .filter(pk=notification_id, recipient_id=user.pk, channel=Channel.IN_APP)
        .first()
    )
    if notification is None:
        raise NotFound("No such notification")
    return notification


def can_send_agency_records(user, agency) -> bool:
    """People and involvements an agency holds (imports through the API, keyed on the agency's own
    ids) are sent by a representative of that agency only, while it is active: only the agency can
    vouch for its ids. Hub staff record people through referrals; administrators import files with
    `manage.py import_people` / `import_involvements` on the server."""
    return is_agency_rep(user) and agency.active and user.agency_id == agency.pk


def can_see_duplicates(user) -> bool:
    """The duplicate review queue and its pairs: hub staff, who may look anyone up anyway (ADR 0013)."""
    return is_hub_staff(user)


def can_review_duplicates(user) -> bool:
    """Merging two records, undoing a merge, and deciding that two records are different people
    change who a child is across every referral and agency: MASH managers only (ADR 0013)."""
    return is_manager(user)


# ---------------------------------------------------------------- reports (issue 6, ADR 0015)


def is_analyst(user) -> bool:
    return user.is_authenticated and user.is_active and user.role == Role.ANALYST


def can_see_reports(user) -> bool:
    """Performance measures and phase-two insight: MASH managers and analysts (DESIGN.md §2)."""
    return is_manager(user) or is_analyst(user)


def reports_suppressed_for(user) -> bool:
    """Analysts see aggregates only, so small numbers are hidden from them (and from every export they
    make); a MASH manager may see the case records behind a count, so sees exact counts."""
    return not is_manager(user)


def can_drill_down(user) -> bool:
    """From a count to the referrals behind it: only roles that may see case data (and audited)."""
    return is_manager(user)


def can_manage_areas(user) -> bool:
    """Uploading ward or neighbourhood boundaries for the hotspot map."""
    return is_administrator(user) or is_analyst(user)
