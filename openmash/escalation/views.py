"""The notifications page: a person's notices, newest first, marked read one by one or all at once."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from openmash.escalation import selectors, services


def notification_list(request):
    rows = selectors.notification_list(user=request.user)
    unread = selectors.unread_count_for_request(request=request)
    return render(
        request, "escalation/notifications.html",
        {"title": "Notifications", "rows": rows, "unread": unread, "limit": selectors.LIST_LIMIT},
    )


@require_POST
def notification_read(request, notification_id):
    services.notification_acknowledge(user=request.user, notification_id=notification_id)
    return redirect("escalation:list")


@require_POST
def notification_read_all(request):
    count = services.notifications_acknowledge_all(user=request.user)
    if count:
        messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked as read.")
    return redirect("escalation:list")
