"""One release at a time: a PostgreSQL session advisory lock held for the whole release.

Heroku runs the release phase on every deploy and every config-var change, and two can run at
once. The lock lives on a connection of its own, outside Django's connection handling, so that
nothing the release does (migrate opens, closes and replaces Django's connections) can drop it
early. The lock goes with that connection: when the process ends, however it ends, PostgreSQL
releases it. SQLite has no advisory locks and no concurrent releases to fear: there it is a no-op.
"""
import contextlib

from django.db import connection

# Any 64-bit number unique to this purpose within the database ("bikerel" in ASCII).
RELEASE_LOCK_KEY = 0x62696B6572656C


@contextlib.contextmanager
def release_lock(*, on_wait=lambda: None):
    """Hold the release lock for the with-block (as: True; False where there is none to take);
    on_wait() is called once if another release holds it."""
    if connection.vendor != "postgresql":
        yield False
        return
    lock_connection = connection.get_new_connection(connection.get_connection_params())
    try:
        lock_connection.autocommit = True
        with lock_connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [RELEASE_LOCK_KEY])
            if not cursor.fetchone()[0]:
                on_wait()
                cursor.execute("SELECT pg_advisory_lock(%s)", [RELEASE_LOCK_KEY])
        yield True
        with lock_connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [RELEASE_LOCK_KEY])
    finally:
        lock_connection.close()
