"""Rate limiting of public POSTs (form and API) per client IP, counted in the database.

One atomic INSERT ... ON CONFLICT DO UPDATE per request keeps a fixed window per client, so
every worker of every dyno shares one count (no per-process memory), exact under any
concurrency. Over the limit: 429 with Retry-After. Limits come from settings;
RATELIMIT_ENABLED=0 turns it off.

The counter table is UNLOGGED (migration 0005): PostgreSQL writes no WAL for it, and a
transaction that wrote no WAL commits without waiting for a flush to disk (RecordTransactionCommit
in PostgreSQL's xact.c), so counting costs a round trip but no second disk flush per request (the
prediction's own INSERT has one). The price: a crash of the database server (not a restart)
empties the table, and with it the counts of the current window; a failover replica starts
empty too. The upsert is sent without Django's connection ping (predictor.unpinged); its retry
on a broken connection can count one request twice.
"""
import ipaddress
import math
import random
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection

from predictor import errors, monitoring, unpinged
from predictor.models import RateLimitCounter
from predictor.outage import DATABASE_ERRORS, is_outage

# URL namespaces whose POSTs are public: the form pages and the JSON API (not the admin).
PUBLIC_APPS = frozenset({"predictor", "api"})
# Expired windows are deleted by about one request in this many: the table stays small.
CLEANUP_EVERY = 1000


def client_ip(request) -> str:
    """The client's address: behind Heroku's router, the one it appended to X-Forwarded-For."""
    if settings.RATELIMIT_TRUST_X_FORWARDED_FOR:
        appended = request.META.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1].strip()
        try:
            return str(ipaddress.ip_address(appended))
        except ValueError:
            pass  # no router in front (or a malformed header): fall back to the socket
    return request.META.get("REMOTE_ADDR", "")


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    hits: int
    retry_after: int  # seconds until the current window ends


def hit(*, key: str, limit: int, window: int, now: float | None = None) -> Verdict:
    """Count one request for key and say whether it is within limit requests per window seconds."""
    now = time.time() if now is None else now
    cutoff = now - window
    table = connection.ops.quote_name(RateLimitCounter._meta.db_table)
    # A window older than `window` seconds starts over at this request.
    hits, window_start = unpinged.execute(
        f"""INSERT INTO {table} AS c ("key", "window_start", "hits") VALUES (%s, %s, 1)
            ON CONFLICT ("key") DO UPDATE SET
              "hits" = CASE WHEN c."window_start" > %s THEN c."hits" + 1 ELSE 1 END,
              "window_start" = CASE WHEN c."window_start" > %s THEN c."window_start" ELSE excluded."window_start" END
            RETURNING "hits", "window_start" """,
        [key, now, cutoff, cutoff],
    )
    if random.randrange(CLEANUP_EVERY) == 0:
        with connection.cursor() as cursor:
            cursor.execute(f'DELETE FROM {table} WHERE "window_start" <= %s', [cutoff])
    return Verdict(allowed=hits <= limit, hits=hits, retry_after=max(1, math.ceil(window_start + window - now)))


class RateLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not settings.RATELIMIT_ENABLED or request.method != "POST":
            return None
        if request.resolver_match is None or request.resolver_match.app_name not in PUBLIC_APPS:
            return None
        limit, window = settings.RATELIMIT_REQUESTS, settings.RATELIMIT_WINDOW_SECONDS
        try:
            verdict = hit(key=f"post:{client_ip(request)}", limit=limit, window=window)
        except DATABASE_ERRORS as exc:
            if not is_outage(exc):
                raise  # a bug, not an outage: logged with its traceback, 500
            return errors.database_unavailable(request, exc)
        if verdict.allowed:
            return None
        monitoring.rate_limited(client_ip(request), verdict.hits, limit, window)
        return errors.too_many_requests(request, limit=limit, window=window, retry_after=verdict.retry_after)
