"""Database errors, classified once: an outage gets 503 with Retry-After (predictor.errors),
anything else is a bug.

An outage is a lost or refused connection: the server is down, restarting, unreachable, or has
no connection slot left (max_connections, the plan's limit). Nothing was stored (the INSERT is
what failed). The connection that failed is dropped at the end of the request (Django's
errors_occurred + conn_health_checks), so the first request after the database returns opens a
fresh one: no restart needed.

Any other database error (IntegrityError, ProgrammingError, DataError, a deadlock, a statement
timeout...) is a bug: it is not caught here, so Django logs it with its traceback and answers
500 (JSON under /api/, the 500 page elsewhere: predictor.errors). Its transaction was rolled
back, so nothing is half-stored.
"""
from django.db import InterfaceError, OperationalError

# SQLSTATEs that mean "no usable connection" (PostgreSQL's appendix A): class 08 connection
# exception; the server shutting down, crashed, or starting; no connection slot left.
OUTAGE_SQLSTATE_CLASSES = ("08",)
OUTAGE_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300"})


def is_outage(exc: BaseException) -> bool:
    """True for a lost or refused database connection; False for every other error."""
    if isinstance(exc, InterfaceError):  # e.g. "connection already closed"
        return True
    if not isinstance(exc, OperationalError):
        return False
    driver_error = exc.__cause__
    code = getattr(driver_error, "pgcode", None)
    if code is None:
        # libpq failed before the server said anything (refused, reset, timed out, closed):
        # psycopg2 gives no SQLSTATE then. SQLite's OperationalErrors ("no such table") are bugs.
        return driver_error is not None and type(driver_error).__module__.startswith("psycopg2")
    return code.startswith(OUTAGE_SQLSTATE_CLASSES) or code in OUTAGE_SQLSTATES

