"""Django's error handlers: the site's own pages, or JSON under /api/ (errors there are always JSON)."""
from django.http import JsonResponse
from django.views import defaults

from predictor.problems import is_api


def _json(status: int, message: str) -> JsonResponse:
    return JsonResponse({"errors": {"request": [message]}}, status=status)


def bad_request(request, exception):
    return _json(400, "Bad request.") if is_api(request) else defaults.bad_request(request, exception)


def permission_denied(request, exception):
    return _json(403, "Not allowed.") if is_api(request) else defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    return _json(404, f"No API endpoint at {request.path}.") if is_api(request) else defaults.page_not_found(request, exception)


def server_error(request):
    return _json(500, "Internal error; nothing was stored.") if is_api(request) else defaults.server_error(request)
