import pytest
from django.db import DatabaseError, connection, transaction

from openmash.audit.models import AuditEvent
from openmash.audit.services import audit_record


@pytest.mark.django_db
def test_audit_rows_cannot_be_updated_or_deleted_even_with_raw_sql():
    event = audit_record(user=None, action="test.event", object_type="test", object_id=1)
    for statement in (
        f"UPDATE audit_auditevent SET action = 'tampered' WHERE id = {event.pk}",
        f"DELETE FROM audit_auditevent WHERE id = {event.pk}",
    ):
        with pytest.raises(DatabaseError, match="append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(statement)
    assert AuditEvent.objects.get(pk=event.pk).action == "test.event"


@pytest.mark.django_db
def test_orm_update_and_delete_are_refused_too():
    event = audit_record(user=None, action="test.event", object_type="test")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk, action="test.event").exists()
