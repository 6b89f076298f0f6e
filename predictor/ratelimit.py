"""Rate-limit counting: requests per client IP, counted in the database.

One atomic INSERT ... ON CONFLICT DO UPDATE per request keeps a fixed window per client, so
every worker of every dyno shares one count (no per-process memory), exact under any
concurrency. Which requests count, and the 429 for those over the limit, are
predictor.middleware.RateLimitMiddleware's.

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

from predictor import unpinged
from predictor.models import RateLimitCounter

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

