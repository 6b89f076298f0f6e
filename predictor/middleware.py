"""The app's middleware, in the order settings.MIDDLEWARE runs them.

- RequestMonitoringMiddleware times every request and tags its log lines with Heroku's request id.
  It comes first, so it wraps the lean chain of the prediction endpoints (bikesite/lean_api.py)
  as well as the full one.
- RequestBodyLimitMiddleware refuses a body over MAX_REQUEST_BODY_BYTES (413) before anything
  reads it.
- DatabaseOutageMiddleware answers a lost database connection raised by any view with 503.
- RateLimitMiddleware counts public POSTs per client (predictor.ratelimit: in process, shared
  through PostgreSQL off the request path) and refuses those over the limit (429).
- LoginLockoutMiddleware refuses a login POST from a locked-out username and address (429)
  before the admin's login view runs (predictor.login_guard).

Their refusals are answered by predictor.errors: JSON under /api/, a page elsewhere.
"""
import time

from django.conf import settings
from django.core.signals import request_finished
from django.dispatch import receiver

from predictor import errors, logfmt, login_guard, metrics, monitoring, ratelimit
from predictor.outage import is_outage

_STATUS_CLASSES = {1: "1xx", 2: "2xx", 3: "3xx", 4: "4xx", 5: "5xx"}
REQUEST_ID_MAX_LENGTH = 200  # Heroku's are UUIDs; a client-sent one is cut short
# URL namespaces whose POSTs are public: the form pages and the JSON API (not the admin).
RATE_LIMITED_APPS = frozenset({"predictor", "api"})


class RequestMonitoringMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.timed = metrics.COLLECTING

    def __call__(self, request):
        started = time.perf_counter()
        # Kept until the response is closed (request_finished), so Django's own log of a 4xx or
        # 5xx answer, written after the middleware returned, carries it too.
        logfmt.request_id.set(request.META.get("HTTP_X_REQUEST_ID", "")[:REQUEST_ID_MAX_LENGTH] or None)
        response = self.get_response(request)
        if self.timed:
            match = request.resolver_match
            metrics.observe_request(match.view_name if match is not None else "other",
                                    _STATUS_CLASSES.get(response.status_code // 100, "other"),
                                    time.perf_counter() - started)
        return response


@receiver(request_finished, dispatch_uid="forget_request_id")
def forget_request_id(**kwargs):
    logfmt.request_id.set(None)


class RequestBodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads an unparsable length as an empty body
        limit = settings.MAX_REQUEST_BODY_BYTES
        if length > limit:
            return errors.body_too_large(request, limit)
        return self.get_response(request)


class DatabaseOutageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_outage(exception):
            return errors.database_unavailable(request, exception)
        return None  # a bug: Django logs it with its traceback and answers 500


class RateLimitMiddleware:
    """Public POSTs (form and API, not the admin) per client IP, within RATELIMIT_REQUESTS per
    RATELIMIT_WINDOW_SECONDS; RATELIMIT_ENABLED=0 turns it off."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not settings.RATELIMIT_ENABLED or request.method != "POST":
            return None
        if request.resolver_match is None or request.resolver_match.app_name not in RATE_LIMITED_APPS:
            return None
        limit, window = settings.RATELIMIT_REQUESTS, settings.RATELIMIT_WINDOW_SECONDS
        client = ratelimit.client_ip(request)
        try:
            verdict = ratelimit.LIMITER.check(f"post:{client}", limit=limit, window=window)
        except Exception as exc:
            if not is_outage(exc):
                raise  # a bug, not an outage: logged with its traceback, 500
            return errors.database_unavailable(request, exc)
        if verdict.allowed:
            return None
        monitoring.rate_limited(client, limit, window, first=verdict.crossed)
        return errors.too_many_requests(request, limit=limit, window=window, retry_after=verdict.retry_after)


class LoginLockoutMiddleware:
    """The admin's login POSTs only: a locked-out one is answered with the lockout page at once."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST" or request.resolver_match is None:
            return None
        if request.resolver_match.view_name != "admin:login":
            return None
        return login_guard.refusal_if_locked(request)
