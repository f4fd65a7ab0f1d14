from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render

from openmash.access.policy import can_see_reports, is_administrator, is_agency_rep, is_hub_staff, is_ig_officer
from openmash.core.forms import error_summary


def render_form(request, template: str, form, *, title: str, status: int | None = None, anchors=None, **context):
    """Render a page with a form; a form with errors gets the GOV.UK error summary and a 400 status
    (so that tests and scripts can tell a refused submission from a shown page)."""
    errors = error_summary(form, anchors) if form.is_bound and form.errors else []
    if status is None:
        status = 400 if errors else 200
    return render(request, template, {"form": form, "form_errors": errors, "title": title, **context}, status=status)


def home(request):
    """Each role starts where its work is."""
    user = request.user
    if is_hub_staff(user):
        return redirect("referrals:dashboard")
    if is_agency_rep(user):
        return redirect("information_requests:list")
    if is_administrator(user):
        return redirect("agencies:list")
    if is_ig_officer(user):
        return redirect("sharing:log")
    if can_see_reports(user):
        return redirect("reports:performance")
    return render(request, "core/no_case_access.html", {"title": "Your account"})


@login_not_required
def accessibility(request):
    return render(request, "core/accessibility.html", {"title": "Accessibility statement"})


@login_not_required
def healthz(request):
    from django.http import JsonResponse

    from openmash.core.selectors import database_is_up

    return JsonResponse({"status": "ok"} if database_is_up() else {"status": "database unavailable"}, status=200 if database_is_up() else 503)


def page_not_found(request, exception=None):
    return render(request, "core/404.html", {"title": "Page not found"}, status=404)


def permission_denied(request, exception=None):
    return render(request, "core/403.html", {"title": "You cannot do this", "reason": str(exception or "")}, status=403)


def server_error(request):
    return render(request, "core/500.html", {"title": "Sorry, there is a problem with the service"}, status=500)


def csrf_failure(request, reason=""):
    return render(
        request, "core/403.html",
        {"title": "Your form has expired", "reason": "The page was open too long or was opened in another tab. Go back, reload the page and try again."},
        status=403,
    )


def keep_alive(request):
    """Touched by the page script while someone is typing, so a long narrative is not lost to the
    idle timeout; an unattended laptop still signs out."""
    from django.http import HttpResponse

    return HttpResponse(status=204)
