"""Every error answer of the site, with its words and its Retry-After.

Under /api/ an error is JSON, {"errors": {"<field>": ["<message>"]}}, the API's one error shape;
everywhere else it is a page: templates/<status>.html, each extending templates/error.html.
Django's error handlers (handler400/403/404/500 in bikesite/urls.py), the middleware that refuse
a request before any view runs, and the views all answer through here, so a status says the same
thing wherever it arises.
"""
from django.http import JsonResponse
from django.shortcuts import render
from django.views import defaults

from predictor import monitoring

# A 503 is over within seconds: a lost database connection is replaced on the next request, and
# every worker re-checks the active model every MODEL_REFRESH_SECONDS.
RETRY_AFTER_SECONDS = 5
RETRY_AFTER = {"Retry-After": str(RETRY_AFTER_SECONDS)}

DATABASE_UNAVAILABLE = "The database is unavailable; nothing was stored. Try again shortly."
INTERNAL_ERROR = "Internal error; nothing was stored."
UNAVAILABLE_PAGE = "predictor/unavailable.html"


def is_api(request) -> bool:
    return request.path.startswith("/api/")


class ApiError(Exception):
    """A refusal raised inside an API view; api_view answers it as json_error(status, errors, headers)."""

    def __init__(self, status: int, errors: dict, headers: dict | None = None):
        super().__init__(errors)
        self.status, self.errors, self.headers = status, errors, headers or {}


def json_error(status: int, errors: dict, headers: dict | None = None) -> JsonResponse:
    response = JsonResponse({"errors": errors}, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def answer(request, *, status: int, field: str, message: str, page: str, headers: dict | None = None):
    """The error as its client reads it: JSON under /api/, else the page (given the message)."""
    if is_api(request):
        return json_error(status, {field: [message]}, headers)
    response = render(request, page, {"message": message}, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


# --- Refusals that can come from any request --------------------------------------------------

def body_too_large(request, limit: int):
    return answer(request, status=413, field="body", page="413.html",
                  message=f"The request body is too large: at most {limit:,} bytes.")


def too_many_requests(request, *, limit: int, window: int, retry_after: int):
    return answer(request, status=429, field="rate_limit", page="429.html",
                  message=f"Too many requests: at most {limit} per {window} seconds. Try again in {retry_after} s.",
                  headers={"Retry-After": str(retry_after)})


def login_locked(request, *, whole_address: bool, failures: int, retry_after: int):
    """A login refused by the lockout (predictor.login_guard): why, and for how long."""
    who = "from your address" if whole_address else "to this account from your address"
    return answer(request, status=429, field="login", page="login_locked.html",
                  message=f"Logging in {who} is locked after {failures} failed attempts. "
                          f"Try again in {duration_words(retry_after)}.",
                  headers={"Retry-After": str(retry_after)})


def duration_words(seconds: int) -> str:
    """42 seconds, 1 minute, 15 minutes: whole minutes from a minute on, rounded up."""
    if seconds < 60:
        return f"{seconds} second{'' if seconds == 1 else 's'}"
    minutes = -(-seconds // 60)
    return f"{minutes} minute{'' if minutes == 1 else 's'}"


def database_unavailable(request, exc: Exception):
    """503 for a lost or refused database connection (predictor.outage.is_outage); nothing was stored."""
    # One line when the outage begins, no traceback: an outage is an operational event, not a bug.
    monitoring.unavailable("database", str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__)
    return answer(request, status=503, field="service", message=DATABASE_UNAVAILABLE, page=UNAVAILABLE_PAGE,
                  headers=RETRY_AFTER)


def model_unavailable(request, exc: Exception):
    """503 when no model can predict: none is active, or the active one was refused."""
    monitoring.unavailable("model", str(exc))
    return answer(request, status=503, field="service", message=f"Predictions are unavailable: {exc}.",
                  page=UNAVAILABLE_PAGE, headers=RETRY_AFTER)


# --- The API's own (api_view) -----------------------------------------------------------------

def method_not_allowed(request, allowed: tuple[str, ...]) -> JsonResponse:
    return json_error(405, {"method": [f"Method {request.method} not allowed; use {', '.join(allowed)}."]},
                      {"Allow": ", ".join(allowed)})


def api_internal_error() -> JsonResponse:
    """A bug inside an API view (the caller logs it): answered without internals."""
    return json_error(500, {"service": [INTERNAL_ERROR]})


# --- Django's error handlers (bikesite/urls.py) -----------------------------------------------
# Every unknown path under /api/ reaches page_not_found: it is the API's one 404 route.

def bad_request(request, exception):
    if is_api(request):
        return json_error(400, {"request": ["Bad request."]})
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if is_api(request):
        return json_error(403, {"request": ["Not allowed."]})
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    if is_api(request):
        return json_error(404, {"path": [f"No API endpoint at {request.path}."]})
    return defaults.page_not_found(request, exception)


def server_error(request):
    if is_api(request):
        return json_error(500, {"request": [INTERNAL_ERROR]})
    return defaults.server_error(request)
