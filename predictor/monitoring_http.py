"""The HTTP side of monitoring: every request timed and tagged with Heroku's request id, and the
GET /metrics endpoint for Prometheus, behind `Authorization: Bearer $METRICS_TOKEN`.

RequestMonitoringMiddleware comes first in settings.MIDDLEWARE, so it wraps the lean chain of the
prediction endpoints (bikesite/lean_api.py) as well as the full one.
"""
import hmac
import time

from django.conf import settings
from django.core.signals import request_finished
from django.dispatch import receiver
from django.http import Http404, HttpResponse

from predictor import logfmt, metrics

_STATUS_CLASSES = {1: "1xx", 2: "2xx", 3: "3xx", 4: "4xx", 5: "5xx"}
REQUEST_ID_MAX_LENGTH = 200  # Heroku's are UUIDs; a client-sent one is cut short


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


def metrics_endpoint(request):
    """The metrics in Prometheus text format; 404 when METRICS_TOKEN is unset, 401 without it."""
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404("metrics are off")
    offered = request.META.get("HTTP_AUTHORIZATION", "")
    if not hmac.compare_digest(offered.encode(), f"Bearer {token}".encode()):
        response = HttpResponse("A valid bearer token is needed.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body, content_type = metrics.exposition()
    response = HttpResponse(body, content_type=content_type)
    response["Cache-Control"] = "no-store"
    return response
