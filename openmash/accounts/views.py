from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from openmash.accounts import selectors, services
from openmash.accounts.forms import PasswordForm, SignInForm, TeamForm, UserForm
from openmash.agencies.selectors import agency_list
from openmash.core.errors import InvalidInput
from openmash.core.forms import apply_service_errors
from openmash.core.views import render_form


@login_not_required
def sign_in(request):
    next_url = request.GET.get("next") or request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        next_url = ""
    form = SignInForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.account_sign_in(
                request=request, username=form.cleaned_data["username"], password=form.cleaned_data["password"]
            )
        except InvalidInput as exc:
            apply_service_errors(form, exc)
        else:
            login(request, user)
            return redirect(next_url or "core:home")
    return render_form(request, "accounts/sign_in.html", form, title="Sign in", next=next_url)


@require_POST
def sign_out(request):
    if request.user.is_authenticated:
        services.account_sign_out_recorded(user=request.user, reason="signed out")
    logout(request)
    messages.success(request, "You have signed out.")
    return redirect("accounts:sign-in")


def _agency_choices():
    return [(a.code, a.name) for a in agency_list()]


def _team_choices(current=None):
    """Active teams, and the user's own team if it has been deactivated since (so it is not lost)."""
    teams = selectors.team_list()
    return [(t.code, t.name if t.active else f"{t.name} (inactive)") for t in teams if t.active or t == current]


def user_list(request):
    users = selectors.user_list(user=request.user)
    return render(request, "accounts/user_list.html", {"title": "Users", "users": users})


def user_create(request):
    selectors.require_user_admin(user=request.user)
    form = UserForm(request.POST if request.method == "POST" else None, agency_choices=_agency_choices(),
                    team_choices=_team_choices(), creating=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            new = services.user_create(
                user=request.user, username=data["username"], first_name=data["first_name"], last_name=data["last_name"],
                email=data["email"], role=data["role"], agency_code=data["agency"], job_title=data["job_title"],
                password=data["password"], team_code=data["team"],
            )
        except InvalidInput as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"User {new.username} created.")
            return redirect("accounts:user-list")
    return render_form(request, "accounts/user_form.html", form, title="Add a user", creating=True)


def user_edit(request, user_id):
    target = selectors.user_for_admin(user=request.user, user_id=user_id)
    initial = {
        "first_name": target.first_name, "last_name": target.last_name, "email": target.email,
        "job_title": target.job_title, "role": target.role, "agency": target.agency.code if target.agency_id else "",
        "is_active": "yes" if target.is_active else "no", "team": target.team.code if target.team_id else "",
    }
    form = UserForm(request.POST if request.method == "POST" else None, initial=initial, agency_choices=_agency_choices(),
                    team_choices=_team_choices(target.team), creating=False)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.user_update(
                user=request.user, target=target, first_name=data["first_name"], last_name=data["last_name"],
                email=data["email"], role=data["role"], agency_code=data["agency"], job_title=data["job_title"],
                is_active=data["is_active"] == "yes", team_code=data["team"],
            )
        except InvalidInput as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"User {target.username} updated.")
            return redirect("accounts:user-list")
    return render_form(
        request, "accounts/user_form.html", form, title=f"Change {target.username}", creating=False, target=target,
        locked_until=selectors.sign_in_locked_until(username=target.username),
    )


@require_POST
def user_unlock(request, user_id):
    target = selectors.user_for_admin(user=request.user, user_id=user_id)
    services.user_unlock(user=request.user, target=target)
    messages.success(request, f"{target.username} is unlocked and can sign in again.")
    return redirect("accounts:user-edit", user_id=target.pk)


def user_password(request, user_id):
    target = selectors.user_for_admin(user=request.user, user_id=user_id)
    form = PasswordForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_set_password(user=request.user, target=target, password=form.cleaned_data["password"] or "")
        except InvalidInput as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"The password for {target.username} has been changed.")
            return redirect("accounts:user-edit", user_id=target.pk)
    return render_form(request, "accounts/user_password.html", form, title=f"Set a new password for {target.username}", target=target)


# ------------------------------------------------------------------ hub teams (administrators)


def team_list(request):
    teams = selectors.teams_for_admin(user=request.user)
    return render(request, "accounts/team_list.html", {"title": "Hub teams", "teams": teams})


def team_create(request):
    selectors.teams_for_admin(user=request.user)  # the administrator check
    form = TeamForm(request.POST if request.method == "POST" else None, creating=True)
    if request.method == "POST" and form.is_valid():
        try:
            team = services.team_create(user=request.user, code=form.cleaned_data["code"], name=form.cleaned_data["name"])
        except InvalidInput as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"{team.name} added.")
            return redirect("accounts:team-list")
    return render_form(request, "accounts/team_form.html", form, title="Add a hub team", creating=True)


def team_edit(request, code):
    team = selectors.team_for_admin(user=request.user, code=code)
    initial = {"name": team.name, "active": "yes" if team.active else "no"}
    form = TeamForm(request.POST if request.method == "POST" else None, initial=initial, creating=False)
    if request.method == "POST" and form.is_valid():
        try:
            services.team_update(user=request.user, team=team, name=form.cleaned_data["name"],
                                 active=form.cleaned_data["active"] == "yes")
        except InvalidInput as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"{team.name} updated.")
            return redirect("accounts:team-list")
    return render_form(request, "accounts/team_form.html", form, title=f"Change {team.name}", creating=False, team=team)
