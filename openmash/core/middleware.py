import re
import secrets
import uuid

from openmash.core import request_context

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Give every request an id (or keep a well-formed one from the proxy) and echo it back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        rid = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = rid
        token = request_context.request_id.set(rid)
        # REMOTE_ADDR only: X-Forwarded-For is trusted solely when a proxy is configured to set it.
        ip_token = request_context.client_ip.set(request.META.get("REMOTE_ADDR") or None)
        try:
            response = self.get_response(request)
        finally:
            request_context.request_id.reset(token)
            request_context.client_ip.reset(ip_token)
        response["X-Request-ID"] = rid
        return response


class SecurityHeadersMiddleware:
    """A strict Content-Security-Policy with a per-request nonce for the few inline scripts.

    Case data must never be sent anywhere but this service, so nothing is loaded from other origins.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = secrets.token_urlsafe(16)
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = (
                "default-src 'self'; "
                f"script-src 'self' 'nonce-{request.csp_nonce}'; "
                "style-src 'self'; img-src 'self' data:; font-src 'self'; "
                "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; "
                "object-src 'none'"
            )
        response.setdefault("Referrer-Policy", "same-origin")
        response.setdefault("X-Content-Type-Options", "nosniff")
        # Case pages must not linger in a shared laptop's browser cache (static files never get here:
        # WhiteNoise answers them earlier in the chain, with long-lived caching).
        response.setdefault("Cache-Control", "no-store")
        return response


class ServiceErrorMiddleware:
    """Turn a service's NotFound / Forbidden raised in a page view into the 404 / 403 page.

    Any other ServiceError reaching here is a view that forgot to handle it; it stays a 500 so that
    tests catch it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.core.exceptions import PermissionDenied
        from django.http import Http404

        from openmash.core.errors import Forbidden, NotFound

        if isinstance(exception, NotFound):
            raise Http404(exception.message)
        if isinstance(exception, Forbidden):
            raise PermissionDenied(exception.message)
        return None
