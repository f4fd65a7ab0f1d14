"""Bearer-token authentication for the API.

Only a token counts: a browser session cookie sent along with an API call is ignored, so a page
open in the same browser can never act through the API (and the API needs no CSRF token, because
nothing a browser sends on its own authenticates a call).
"""

from ninja.security import HttpBearer

from openmash.accounts.services import api_token_authenticate


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        user = api_token_authenticate(key=(token or "").strip())
        if user is None:
            return None
        # The acting user for everything below is the token's owner, whatever the session says.
        request.user = user
        return user
