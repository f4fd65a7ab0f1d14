"""The only writer of audit rows.

Call `audit_record` inside the same transaction as the change it records (a service's
`transaction.atomic()` block), so that the change and its audit row commit or roll back together.
"""

from openmash.audit.models import AuditEvent
from openmash.core import clock, request_context


def audit_record(
    *,
    user,
    action: str,
    object_type: str,
    object_id="",
    referral_reference: str = "",
    details: dict | None = None,
    ip_address: str | None = None,
) -> AuditEvent:
    """Write one audit event. `user` None means the system itself (seeding, scheduled work)."""
    if user is not None and getattr(user, "is_authenticated", False):
        actor = {
            "actor_id": user.pk,
            "actor_username": user.username,
            "actor_role": user.role or "",
            "actor_agency": user.agency.code if user.agency_id else "",
        }
    else:
        actor = {"actor_id": None, "actor_username": "system", "actor_role": "", "actor_agency": ""}
    return AuditEvent.objects.create(
        occurred_at=clock.now(),
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else "",
        referral_reference=referral_reference or "",
        details=details or {},
        request_id=request_context.request_id.get() or "",
        ip_address=ip_address or request_context.client_ip.get(),
        **actor,
    )
