"""Rate-limit counting: requests per client IP and fixed window, shared by every worker of every
dyno through PostgreSQL, with no round trip for a client far from its limit.

Each process counts in memory and shares its counts off the request path: a background thread
sends, every RATELIMIT_SYNC_SECONDS, one upsert with every key counted since the last one, and
learns each key's shared total from its RETURNING. A request is decided in process while the
client is far from its limit (its known total plus this process's unshared count below
limit - slack, and at most `allowance` unshared requests of it in this process). Near the limit
every request is counted in the database before it is answered (one exact upsert that also
carries this process's unshared count), and once the shared total is over the limit the
process refuses by itself until the window ends.

Accuracy (slack = max(5, 10 % of the limit); allowance = slack // (2 x live processes), at
least 1): a client gets at least the limit per window, and more only by requests a process
allowed on a total that other processes had already raised, at most `allowance` per process
before its next sync or exact count tells it: limit + slack while live processes <= slack / 2,
limit + 2 x processes at worst beyond. A process that dies loses its unshared counts (at most
one sync interval's); a database outage delays the sharing, never a request: the counts wait in
memory for the next sync. The live processes are the sync threads' connections
(pg_stat_activity, by application_name); elsewhere (SQLite) ASSUMED_PROCESSES.

The counter table is UNLOGGED (migration 0005): a crash of the database server (not a restart)
empties the counts of the current window. Which requests count, and the 429, are
predictor.middleware.RateLimitMiddleware's.
"""
import ipaddress
import logging
import math
import os
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection

from predictor import logfmt
from predictor.models import RateLimitCounter

logger = logging.getLogger(__name__)

SYNC_APPLICATION_NAME = "bikesite-ratelimit-sync"  # how the sync threads' connections are counted
ASSUMED_PROCESSES = 8  # until the first count of live processes, and where none can be taken
COUNT_PROCESSES_EVERY = 5.0  # seconds between counts of the live processes
CLEANUP_EVERY = 60.0  # seconds between deletions of ended windows (by each process)
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
    """The sync threads connected now, every dyno's (PostgreSQL); ASSUMED_PROCESSES elsewhere."""
    if connection.vendor != "postgresql":
        return ASSUMED_PROCESSES
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [SYNC_APPLICATION_NAME])
        return max(1, cursor.fetchone()[0])


def name_sync_connection() -> None:
    """Mark this connection as a sync thread's (count_live_processes counts them)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET application_name = %s", [SYNC_APPLICATION_NAME])


@dataclass
class _Shared:
    hits: int  # the shared total at the last sync or exact count
    window_start: float  # the shared window's start (or this process's guess until it knows)


class SharedLimiter:
    """One per process: the in-memory counts, and the thread that shares them."""

    def __init__(self):
        self._lock = threading.Lock()
        self._shared: dict[str, _Shared] = {}  # what this process knows of each key's shared count
        self._unshared: dict[str, int] = {}  # allowed here since, not yet added to the shared count
        self._next_forget = 0.0
        self.processes = ASSUMED_PROCESSES
        self._thread_pid = None  # the process whose sync thread runs (a fork has none)

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
                self._ensure_sync_thread()
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

    def _ensure_sync_thread(self) -> None:
        # Started by the first request a process counts (gunicorn forks workers from a master
        # that preloaded the app: a thread started there would not run in them).
        if self._thread_pid != os.getpid() and settings.RATELIMIT_SYNC_SECONDS > 0:
            self._thread_pid = os.getpid()
            threading.Thread(target=self._sync_forever, name="ratelimit-sync", daemon=True).start()

    def _sync_forever(self) -> None:
        interval = settings.RATELIMIT_SYNC_SECONDS
        next_count = next_cleanup = 0.0
        named = None
        failing = False
        while True:
            time.sleep(interval)
            window = settings.RATELIMIT_WINDOW_SECONDS
            try:
                connection.ensure_connection()
                if connection.connection is not named:  # a new connection: name it
                    name_sync_connection()
                    named = connection.connection
                self.sync(window=window)
                now = time.monotonic()
                if now >= next_count:
                    self.processes, next_count = count_live_processes(), now + COUNT_PROCESSES_EVERY
                if now >= next_cleanup:
                    delete_ended_windows(window=window, now=time.time())
                    next_cleanup = now + CLEANUP_EVERY
                if failing:
                    logfmt.event("ratelimit_sync_resumed")
                    failing = False
            except Exception as exc:  # never the requests' problem: the counts wait for the next try
                if not failing:
                    logfmt.event("ratelimit_sync_failed", error=type(exc).__name__, level=logging.WARNING)
                    failing = True
                try:
                    connection.close()  # the next try connects afresh
                except Exception:
                    pass  # closing a broken connection may fail too; it is dropped all the same

    def flush(self) -> None:
        """Share what is unshared now (a worker that exits cleanly loses nothing)."""
        try:
            self.sync(window=settings.RATELIMIT_WINDOW_SECONDS)
        except Exception as exc:
            logfmt.event("ratelimit_flush_failed", error=type(exc).__name__, level=logging.WARNING)


LIMITER = SharedLimiter()
