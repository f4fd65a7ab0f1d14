"""Wall board pages (a device with a key, not a person) and the administrator's board pages."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET, require_http_methods

from openmash.agencies.selectors import agency_list
from openmash.board import selectors, services
from openmash.board.forms import BoardForm
from openmash.board.labels import countdown_text
from openmash.core.errors import Conflict, InvalidInput, NotFound
from openmash.core.formatting import iso
from openmash.core.forms import apply_service_errors
from openmash.core.views import render_form

# Up to this many rows a screen shows one column of referrals; more go in two columns, filled top
# to bottom then left to right; more than DENSE_ABOVE to a column take the compact layout (chips on one line).
SINGLE_COLUMN_UP_TO = 10
DENSE_ABOVE = 9


def _switched_off(request):
    """A bad or revoked key: a plain page that says nothing about the hub or its referrals."""
    return render(request, "board/off.html", {}, status=404)


def _context(board, view):
    count = len(view.rows)
    single = count <= SINGLE_COLUMN_UP_TO
    per_column = SINGLE_COLUMN_UP_TO if single else -(-count // 2)
    return {
        "board": board, "view": view, "single": single, "per_column": per_column,
        "dense": not single and per_column > DENSE_ABOVE, "countdown": countdown_text, "server_now": iso(view.at),
    }


# Compressed: a screen of 40 referrals × 16 agencies is ~150 KB of markup, fetched by every board on
# every change. Safe from compression side channels: nothing secret is in the response, and nothing
# the client sends is echoed in it (the page number is clamped to a number).
@login_not_required
@require_GET
@gzip_page
def board_page(request):
    """The full-screen board. The key in the link is the board's credential: whoever is signed in
    (or not) on the browser, the page shows that board's data and nothing else."""
    try:
        board = selectors.board_for_device(key=request.GET.get("key"))
    except NotFound:
        return _switched_off(request)
    view = selectors.board_view(board=board, page=1)
    services.board_seen(board=board, via="page", rows=view.totals.rows)
    return render(request, "board/page.html", _context(board, view))


@login_not_required
@require_GET
@gzip_page
def board_fragment(request):
    """The board's header totals and one page of rows, for the page's script to swap in; the
    server's time rides along (`data-server-now` and `X-Server-Now`) to correct the screen's clock."""
    try:
        board = selectors.board_for_device(key=request.GET.get("key"))
    except NotFound:
        return _switched_off(request)
    view = selectors.board_view(board=board, page=request.GET.get("page"))
    services.board_seen(board=board, via="fragment", rows=view.totals.rows)
    response = render(request, "board/fragment.html", _context(board, view))
    response["X-Server-Now"] = iso(view.at)
    return response


# ------------------------------------------------------------------ administration


def admin_list(request):
    boards = selectors.board_list(user=request.user)
    return render(request, "board/admin_list.html", {"title": "Wall boards", "boards": boards})


def admin_create(request):
    selectors.board_list(user=request.user)  # the administrator check, before anything is shown
    form = BoardForm(request.POST if request.method == "POST" else None, agency_choices=[(a.code, a.name) for a in agency_list(active_only=True)])
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            board, key = services.board_create(
                user=request.user, name=data["name"], kind=data["kind"], agency_code=data["agency"], labels=data["labels"],
            )
        except InvalidInput as exc:
            apply_service_errors(form, exc)
        else:
            # Shown once, in this response: only a hash of the key is kept.
            link = request.build_absolute_uri(f"{reverse('board:page')}?key={key}")
            return render(request, "board/admin_created.html", {"title": f"{board.name} is set up", "board": board, "link": link})
    return render_form(request, "board/admin_form.html", form, title="Set up a wall board")


@require_http_methods(["GET", "POST"])
def admin_revoke(request, board_id):
    board = selectors.board_for_admin(user=request.user, board_id=board_id)
    if request.method == "POST":
        try:
            services.board_revoke(user=request.user, board=board)
        except Conflict:
            messages.success(request, f"{board.name} was already switched off.")
        else:
            messages.success(request, f"{board.name} is switched off. Its screen stops showing referrals at its next refresh.")
        return redirect("board:admin-list")
    return render(request, "board/admin_revoke.html", {"title": f"Switch off {board.name}", "board": board})

