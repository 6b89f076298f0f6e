"""The database is unreachable: answer 503 with a clear message instead of a 500.

Nothing was stored (the INSERT is what failed). The connection that failed is dropped at the
end of the request (Django's errors_occurred + conn_health_checks), so the first request after
the database returns opens a fresh one: no restart needed.
"""
from django.db import InterfaceError, OperationalError

from predictor import monitoring
from predictor.problems import problem

DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5
MESSAGE = "The database is unavailable; nothing was stored. Try again shortly."


def database_unavailable(request, exc: Exception):
    # One line when the outage begins, no traceback: an outage is an operational event, not a bug.
    monitoring.unavailable("database", str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__)
    return problem(request, status=503, field="service", message=MESSAGE,
                   template="predictor/unavailable.html", headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


class DatabaseOutageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_ERRORS):
            return database_unavailable(request, exception)
        return None
