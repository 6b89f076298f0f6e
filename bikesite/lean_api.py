"""A lean middleware chain for the two prediction endpoints, the service's hot path.

POST /api/v1/predictions and /api/v1/predictions/batch are CSRF-exempt and use no session, no
user, no messages and no static files; for them those five middleware only cost time. Requests
to exactly those paths go through a handler built from settings.MIDDLEWARE minus those five, so
any other middleware (security headers, rate limiting, request ids, ...) applies to them as to
every other request. Every other path gets the full chain.
"""
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.urls import resolve, reverse

# Middleware that does nothing for a CSRF-exempt JSON endpoint without cookies.
NOT_NEEDED_BY_THE_PREDICTION_API = frozenset({
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
})
LEAN_URL_NAMES = ("api:predictions", "api:batch")


class LeanApiApplication:
    """The WSGI application: the lean handler for the prediction endpoints, the full one otherwise."""

    def __init__(self):
        self.full = WSGIHandler()
        self.lean = _handler_with_middleware(
            [path for path in settings.MIDDLEWARE if path not in NOT_NEEDED_BY_THE_PREDICTION_API])
        self.lean_paths = frozenset(reverse(name) for name in LEAN_URL_NAMES)
        self.lean.resolved = {path: resolve(path) for path in self.lean_paths}

    def __call__(self, environ, start_response):
        handler = self.lean if environ.get("PATH_INFO") in self.lean_paths else self.full
        return handler(environ, start_response)


class _LeanHandler(WSGIHandler):
    """Django's handler, with the URL resolution of its few fixed paths done once, not per request:
    they take no arguments, so their match never changes."""

    resolved: dict = {}

    def resolve_request(self, request):
        match = self.resolved.get(request.path_info)
        if match is None or hasattr(request, "urlconf"):  # (a middleware chose another URLconf)
            return super().resolve_request(request)
        request.resolver_match = match
        return match


def _handler_with_middleware(middleware: list[str]) -> WSGIHandler:
    # Django builds a handler's chain from settings.MIDDLEWARE when the handler is created;
    # this runs once, at import, before any request is served.
    full_chain = settings.MIDDLEWARE
    settings.MIDDLEWARE = middleware
    try:
        return _LeanHandler()
    finally:
        settings.MIDDLEWARE = full_chain
