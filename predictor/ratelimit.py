"""Rate-limit counting: requests per client IP and fixed window, shared by every worker of every
dyno through PostgreSQL, with no round trip for a client far from its limit.

Each process counts in memory and shares its counts off the request path: after a response has
been sent (request_finished), and at most every RATELIMIT_SYNC_SECONDS, the thread that sent it
sends one upsert with every key counted since the last one, on its own connection, and learns
each key's shared total from its RETURNING. A request is decided in process while the client is
far from its limit (its known total plus this process's unshared count below
limit - slack, and at most `allowance` unshared requests of it in this process). Near the limit
every request is counted in the database before it is answered (one exact upsert that also
carries this process's unshared count), and once the shared total is over the limit the
process refuses by itself until the window ends.

Accuracy (slack = max(5, 10 % of the limit); allowance = slack // (2 x live processes), at
least 1): a client gets at least the limit per window, and more only by requests a process
allowed on a total that other processes had already raised, at most `allowance` per process
before its next sync or exact count tells it: limit + slack while live processes <= slack / 2,
limit + 2 x processes at worst beyond. A process that dies loses its unshared counts (one sync
interval's, or its last requests' if none followed them); a database outage delays the sharing, never a request: the counts wait in
memory for the next sync. The live processes are the web workers' connections, named by
mark_web_process_connections (pg_stat_activity); elsewhere (SQLite) ASSUMED_PROCESSES.

The counter table is UNLOGGED (migration 0005): a crash of the database server (not a restart)
empties the counts of the current window. Which requests count, and the 429, are
predictor.middleware.RateLimitMiddleware's.
"""
import ipaddress
import logging
import math
import os
import socket
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.signals import request_finished
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.dispatch import receiver

from predictor import logfmt
from predictor.models import RateLimitCounter

WEB_PROCESS_PREFIX = "bikesite-web:"  # application_name of a web worker's connections, then host:pid
ASSUMED_PROCESSES = 8  # until the first count of live processes, and where none can be taken
COUNT_PROCESSES_EVERY = 5.0  # seconds between counts of the live processes
CLEANUP_EVERY = 60.0  # seconds between deletions of ended windows (by each process)
RETRY_AFTER_FAILURE = 1.0  # seconds before a sync that failed (an outage) is tried again
KEYS_PER_STATEMENT = 1000  # 3 parameters a key: well within PostgreSQL's and SQLite's limits


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
    crossed: bool = False  # this request took the shared count over the limit (first refusal)


def _retry_after(window_start: float, window: int, now: float) -> int:
    return max(1, math.ceil(window_start + window - now))


def _upsert_sql(rows: int) -> str:
    """Add each row's hits to its key's count; a window older than `window` seconds (window_start
    at or before the cutoff) starts over with them."""
    table = connection.ops.quote_name(RateLimitCounter._meta.db_table)
    values = ", ".join(["(%s, %s, %s)"] * rows)
    return f"""INSERT INTO {table} AS c ("key", "window_start", "hits") VALUES {values}
        ON CONFLICT ("key") DO UPDATE SET
          "hits" = CASE WHEN c."window_start" > %s THEN c."hits" + excluded."hits" ELSE excluded."hits" END,
          "window_start" = CASE WHEN c."window_start" > %s THEN c."window_start" ELSE excluded."window_start" END
        RETURNING "key", "hits", "window_start" """


def add_counts(counts: dict[str, int], *, window: int, now: float) -> dict[str, tuple[int, float]]:
    """Add the counts to the shared ones; each key's shared (hits, window_start) afterwards."""
    totals = {}
    items = list(counts.items())
    cutoff = now - window
    with connection.cursor() as cursor:
        for start in range(0, len(items), KEYS_PER_STATEMENT):
            chunk = items[start:start + KEYS_PER_STATEMENT]
            params = [value for key, hits in chunk for value in (key, now, hits)]
            cursor.execute(_upsert_sql(len(chunk)), [*params, cutoff, cutoff])
            totals.update((key, (hits, window_start)) for key, hits, window_start in cursor.fetchall())
    return totals


def _verdict(hits: int, window_start: float, *, limit: int, window: int, now: float, count: int) -> Verdict:
    return Verdict(allowed=hits <= limit, hits=hits, retry_after=_retry_after(window_start, window, now),
                   crossed=hits - count <= limit < hits)


def delete_ended_windows(*, window: int, now: float) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f'DELETE FROM {connection.ops.quote_name(RateLimitCounter._meta.db_table)} '
                       'WHERE "window_start" <= %s', [now - window])
        return cursor.rowcount


def count_live_processes() -> int:
    """The web workers connected now, every dyno's (PostgreSQL); ASSUMED_PROCESSES elsewhere."""
    if connection.vendor != "postgresql":
        return ASSUMED_PROCESSES
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(DISTINCT application_name) FROM pg_stat_activity WHERE application_name LIKE %s",
                       [WEB_PROCESS_PREFIX + "%"])
        return max(1, cursor.fetchone()[0])


def mark_web_process_connections() -> None:
    """Name every connection this web worker opens from now on (gunicorn's post_worker_init):
    count_live_processes counts the names. libpq sends the name as it connects: no round trip."""
    if connections[DEFAULT_DB_ALIAS].vendor == "postgresql":
        name = f"{WEB_PROCESS_PREFIX}{socket.gethostname()[:40]}:{os.getpid()}"
        connections.settings[DEFAULT_DB_ALIAS].setdefault("OPTIONS", {})["application_name"] = name


@dataclass
class _Shared:
    hits: int  # the shared total at the last sync or exact count
    window_start: float  # the shared window's start (or this process's guess until it knows)


class SharedLimiter:
    """One per process: the in-memory counts, and their sharing."""

    def __init__(self):
        self._lock = threading.Lock()
        self._shared: dict[str, _Shared] = {}  # what this process knows of each key's shared count
        self._unshared: dict[str, int] = {}  # allowed here since, not yet added to the shared count
        self._next_forget = 0.0
        self.processes = ASSUMED_PROCESSES
        self._sharing = threading.Lock()  # one thread of the process shares at a time
        self._next_sync = self._next_count = self._next_cleanup = 0.0
        self._failing = False

    def check(self, key: str, *, limit: int, window: int, now: float | None = None) -> Verdict:
        """Count one request for key and say whether it is within the limit."""
        now = time.time() if now is None else now
        slack = max(5, limit // 10)
        allowance = max(1, slack // (2 * self.processes))
        with self._lock:
            shared = self._shared.get(key)
            if shared is None or shared.window_start + window <= now:
                shared = self._shared[key] = _Shared(hits=0, window_start=now)
            if shared.hits > limit:  # known to be over: refused here, with no round trip
                return Verdict(False, shared.hits, _retry_after(shared.window_start, window, now))
            unshared = self._unshared.get(key, 0)
            if shared.hits + unshared + 1 <= limit - slack and unshared < allowance:
                self._unshared[key] = unshared + 1
                return Verdict(True, shared.hits + unshared + 1, _retry_after(shared.window_start, window, now))
            count = self._unshared.pop(key, 0) + 1  # near the limit: counted exactly, now
        try:
            (hits, window_start), = add_counts({key: count}, window=window, now=now).values()
        except Exception:
            self._keep({key: count - 1})  # the requests allowed before stay counted; this one failed
            raise
        with self._lock:
            self._shared[key] = _Shared(hits, window_start)
        return _verdict(hits, window_start, limit=limit, window=window, now=now, count=count)

    def sync(self, *, window: int, now: float | None = None) -> int:
        """Share the unshared counts (one statement per KEYS_PER_STATEMENT keys) and learn the
        shared totals. Returns the keys sent. On an error the counts stay to be sent next time."""
        now = time.time() if now is None else now
        with self._lock:
            counts, self._unshared = self._unshared, {}
        self._forget_ended_windows(window=window, now=now)
        if not counts:
            return 0
        try:
            totals = add_counts(counts, window=window, now=now)
        except Exception:
            self._keep(counts)
            raise
        with self._lock:
            self._shared.update((key, _Shared(hits, window_start)) for key, (hits, window_start) in totals.items())
        return len(counts)

    def unshared(self) -> int:
        with self._lock:
            return sum(self._unshared.values())

    def _keep(self, counts: dict[str, int]) -> None:
        with self._lock:
            for key, count in counts.items():
                if count:
                    self._unshared[key] = self._unshared.get(key, 0) + count

    def _forget_ended_windows(self, *, window: int, now: float) -> None:
        # Memory stays bounded by the clients of one window; looked over once a second, not per sync.
        if now < self._next_forget:
            return
        with self._lock:
            for key in [key for key, shared in self._shared.items() if shared.window_start + window <= now]:
                del self._shared[key]
        self._next_forget = now + 1.0

    def sync_if_due(self, *, interval: float, window: int) -> None:
        """Share the counts if the last sync is interval seconds old and no other thread of this
        process is sharing them; count the live processes and delete ended windows now and then.
        A failure (an outage) is logged once and waits RETRY_AFTER_FAILURE: the counts stay."""
        now = time.monotonic()
        if now < self._next_sync or not self._sharing.acquire(blocking=False):
            return
        try:
            if now < self._next_sync:  # another thread shared them meanwhile
                return
            self._next_sync = now + interval
            self.sync(window=window)
            if now >= self._next_count:
                self.processes, self._next_count = count_live_processes(), now + COUNT_PROCESSES_EVERY
            if now >= self._next_cleanup:
                delete_ended_windows(window=window, now=time.time())
                self._next_cleanup = now + CLEANUP_EVERY
            if self._failing:
                self._failing = False
                logfmt.event("ratelimit_sync_resumed")
        except Exception as exc:  # never the requests' problem: the counts wait for the next try
            self._next_sync = now + max(interval, RETRY_AFTER_FAILURE)
            if not self._failing:
                self._failing = True
                logfmt.event("ratelimit_sync_failed", error=type(exc).__name__, level=logging.WARNING)
        finally:
            self._sharing.release()

    def flush(self) -> None:
        """Share what is unshared now (a worker that exits cleanly loses nothing)."""
        try:
            self.sync(window=settings.RATELIMIT_WINDOW_SECONDS)
        except Exception as exc:
            logfmt.event("ratelimit_flush_failed", error=type(exc).__name__, level=logging.WARNING)


LIMITER = SharedLimiter()


@receiver(request_finished, dispatch_uid="share_rate_limit_counts")
def share_counts_after_the_response(**kwargs):
    # request_finished comes once the response has been sent (gunicorn closes the response
    # first): no client waits for the sync.
    if settings.RATELIMIT_ENABLED and settings.RATELIMIT_SYNC_SECONDS > 0:
        LIMITER.sync_if_due(interval=settings.RATELIMIT_SYNC_SECONDS, window=settings.RATELIMIT_WINDOW_SECONDS)
