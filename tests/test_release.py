"""The release command (Heroku's release phase): migrate, then make sure a model is active, one
release at a time (a PostgreSQL advisory lock held for the whole run), saying what it did."""
import io
import threading

import psycopg2
import pytest
from django.core.management import call_command
from django.db import connection, connections

from predictor import versions
from predictor.models import ModelVersion
from predictor.release_lock import RELEASE_LOCK_KEY, release_lock
from tests.waiting import hold, wait_until

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="advisory locks: PostgreSQL only")


def release() -> str:
    out = io.StringIO()
    call_command("release", stdout=out)
    return out.getvalue()


def other_session():
    """A connection of the test's own, as another release (another process) would have."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    conn = psycopg2.connect(**params)
    conn.autocommit = True
    return conn


def lock_is_free(conn) -> bool:
    with conn.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [RELEASE_LOCK_KEY])
        got = cursor.fetchone()[0]
        if got:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [RELEASE_LOCK_KEY])
        return got


def test_release_trains_and_activates_a_model_on_a_new_database_then_finds_it(transactional_db):
    first = release()
    version = ModelVersion.objects.get()
    assert version.is_active
    assert f"Model: trained and activated version {version.pk}" in first
    assert f"Model: found active version {version.pk}" in release()
    assert ModelVersion.objects.count() == 1


def test_ensure_model_activates_the_newest_stored_version_when_none_is_active(make_version):
    make_version(active=False)
    newest = make_version(active=False)
    out = io.StringIO()
    call_command("ensure_model", stdout=out)
    assert f"activated the newest stored version {newest.pk}" in out.getvalue()
    assert ModelVersion.objects.get(is_active=True).pk == newest.pk


def test_ensure_model_says_so_when_other_releases_activated_versions_while_it_trained(db, make_version):
    activated_by_others = []

    def others_activate_meanwhile(message):
        # Another release activates a version while this one trains, then yet another one while
        # this one compares itself with the first: this one must not claim to be active.
        if ("fold 1/" in message and not activated_by_others) or message.startswith("champion/challenger"):
            activated_by_others.append(make_version(active=False))
            versions.activate_model_version(version_id=activated_by_others[-1].pk)

    outcome = versions.ensure_active_model(progress=others_activate_meanwhile)
    last = activated_by_others[-1]
    assert len(activated_by_others) == 2
    assert outcome.active.pk == last.pk and not ModelVersion.objects.get(pk=outcome.trained.pk).is_active
    assert outcome.describe() == f"trained version {outcome.trained.pk} but another release activated version {last.pk}"


@on_postgresql
def test_the_release_lock_survives_django_closing_its_connections(transactional_db):
    witness = other_session()
    try:
        with release_lock() as locked:
            assert locked is True
            call_command("migrate", verbosity=0)
            connections.close_all()  # what manage.py does after every command, and migrate may do
            assert not lock_is_free(witness)
        assert lock_is_free(witness)
    finally:
        witness.close()


def release_in_another_thread(out):
    try:
        call_command("release", stdout=out)
    finally:
        connections.close_all()  # this thread's own connection, before the test database goes


@on_postgresql
def test_a_release_waits_for_one_in_progress_then_finds_its_work_done(transactional_db, make_version):
    holder = other_session()
    out = io.StringIO()
    try:
        with holder.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [RELEASE_LOCK_KEY])
        waiting = threading.Thread(target=release_in_another_thread, args=(out,))
        waiting.start()
        wait_until(lambda: "Another release is running: waiting for it to finish." in out.getvalue(), 60,
                   lambda: f"the release never said it waits; it said: {out.getvalue()!r}")
        hold(0.5, "the other release still holding the lock")
        assert waiting.is_alive(), "the release waits while another holds the lock"
        assert "Model:" not in out.getvalue()
        # Meanwhile the other release finishes its work: a model is active.
        version = make_version(active=True)
        with holder.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [RELEASE_LOCK_KEY])
        waiting.join(timeout=120)
    finally:
        holder.close()
    assert not waiting.is_alive()
    assert f"Model: found active version {version.pk}" in out.getvalue()
    assert ModelVersion.objects.count() == 1


def test_release_runs_without_a_lock_on_sqlite(settings):
    if connection.vendor == "postgresql":
        pytest.skip("SQLite only (make run without DATABASE_URL)")
    with release_lock(on_wait=lambda: pytest.fail("no lock to wait for on SQLite")) as locked:
        assert locked is False, "the release's log says no_lock_needed, not lock_acquired"
