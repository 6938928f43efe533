"""Authentication for the JSON API: a bearer token (created on the profile page), or the browser's session."""

from ninja.security import HttpBearer, SessionAuth

from . import services


class TokenAuth(HttpBearer):
    """`Authorization: Bearer zf_…`; a missing, unknown or revoked token, or an inactive user, is a 401."""

    def authenticate(self, request, token: str):
        token = (token or "").strip()
        if not token:
            return None
        return services.api_token_authenticate(token)


class BrowserSessionAuth(SessionAuth):
    """The logged-in browser session, with Django's CSRF check on unsafe methods.

    Consulted only when there is a logged-in user, so that a request without any credentials is a
    401 (not a CSRF 403) and token clients never need a CSRF token.
    """

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return super().__call__(request)


api_auth = [TokenAuth(), BrowserSessionAuth()]
