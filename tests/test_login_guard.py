"""The admin's login is guarded against guessing (predictor/login_guard.py, django-axes): a
username is locked at one address after 10 failures, an address after 30 whatever the usernames,
the real staff still get in from elsewhere, a success resets, staff lift a lockout, the lock ends
after its cool-off, and each failure and lockout is one logfmt event and a counter. On the real
database (PostgreSQL in CI, SQLite by default), through the real login page."""
import datetime as dt
import time

import pytest
from axes.models import AccessAttempt, AccessLog
from django.contrib import admin
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from prometheus_client import REGISTRY

from bikesite.lean_api import NOT_NEEDED_BY_THE_PREDICTION_API
from bikesite.wsgi import application
from predictor import login_guard
from tests.test_lean_api import call
from tests.test_logfmt import events, lines  # noqa: F401  (lines: the log lines written during a test)

LOGIN = "/admin/login/"
PASSWORD = "a-long-test-password"
ATTACKER, STAFF_HOME, OTHER = "203.0.113.5", "198.51.100.20", "192.0.2.44"


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_superuser("staff", "staff@example.com", PASSWORD)


def log_in(client, password, *, username="staff", address=ATTACKER, **headers):
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"},
                       REMOTE_ADDR=address, **headers)


def logged_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == "/admin/"


def guess(client, times, *, username="staff", address=ATTACKER):
    return [log_in(client, f"wrong-{n}", username=username, address=address).status_code for n in range(times)]


def sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


# --- the lockout -------------------------------------------------------------------------------

def test_the_tenth_wrong_password_locks_that_username_at_that_address(client, staff):
    assert guess(client, 10) == [200] * 9 + [429]
    assert log_in(client, "wrong-again").status_code == 429


def test_the_right_password_is_refused_while_locked(staff):
    attacker = Client()
    guess(attacker, 10)
    response = log_in(attacker, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in attacker.session


def test_the_lockout_page_says_why_and_for_how_long(client, staff):
    guess(client, 10)
    response = log_in(client, PASSWORD)
    html = response.content.decode()
    assert response.status_code == 429
    assert 895 <= int(response["Retry-After"]) <= 900  # 15 minutes after the last counted failure
    assert "<h1>Too many failed logins</h1>" in html
    assert "Logging in to this account from your address is locked after 10 failed attempts." in html
    assert "Try again in 15 minutes." in html
    assert "The right password is refused too until then." in html
    assert "Back to the form" in html  # templates/error.html, as every error page


def test_the_same_account_still_logs_in_from_another_address(staff):
    guess(Client(), 10, address=ATTACKER)
    assert logged_in(log_in(Client(), PASSWORD, address=STAFF_HOME))


def test_another_username_from_the_locked_address_is_not_locked_below_the_address_cap(client, staff,
                                                                                    django_user_model):
    django_user_model.objects.create_superuser("other", "other@example.com", PASSWORD)
    guess(client, 10)
    assert logged_in(log_in(Client(), PASSWORD, username="other"))


def test_one_address_spraying_many_usernames_is_locked_for_every_username(client, staff, settings):
    assert settings.LOGIN_ADDRESS_FAILURE_LIMIT == 30
    statuses = [log_in(client, "Winter2025!", username=f"user{n}").status_code for n in range(30)]
    assert statuses == [200] * 29 + [429]
    refused = log_in(Client(), PASSWORD)  # the real staff, from that address
    assert refused.status_code == 429
    assert "Logging in from your address is locked after 30 failed attempts." in refused.content.decode()
    assert logged_in(log_in(Client(), PASSWORD, address=STAFF_HOME))


def test_a_successful_login_resets_the_count_of_its_username_and_address(staff):
    guess(Client(), 9)
    assert logged_in(log_in(Client(), PASSWORD))
    assert not AccessAttempt.objects.filter(username="staff", ip_address=ATTACKER).exists()
    assert guess(Client(), 9) == [200] * 9  # counted from zero again


def test_a_success_resets_only_its_own_username_not_the_address(client, staff, django_user_model, settings):
    """A valid account does not let a sprayer wipe the failures of the others at its address."""
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 5
    django_user_model.objects.create_user("insider", password=PASSWORD, is_staff=True)
    guess(client, 3, username="alice")
    assert logged_in(log_in(Client(), PASSWORD, username="insider"))
    assert AccessAttempt.objects.filter(username="alice", ip_address=ATTACKER).get().failures_since_start == 3


def test_a_login_refused_while_locked_is_neither_counted_nor_extends_the_lockout(client, staff):
    guess(client, 10)
    before = AccessAttempt.objects.get(username="staff", ip_address=ATTACKER)
    for _ in range(3):
        assert log_in(client, PASSWORD).status_code == 429
    after = AccessAttempt.objects.get(username="staff", ip_address=ATTACKER)
    assert (after.failures_since_start, after.attempt_time) == (10, before.attempt_time)


def test_a_refused_login_is_answered_before_the_login_view_runs(client, staff):
    """A guesser who goes on costs two small queries, not the admin's login form rendered and thrown away."""
    guess(client, 10)
    with CaptureQueriesContext(connection) as queries:
        response = log_in(client, PASSWORD)
    assert response.status_code == 429
    assert len(queries) == 2, [q["sql"] for q in queries]  # this username's failures here, then when they end
    assert b'name="password"' not in response.content


def test_the_lock_ends_after_the_cool_off(staff, settings):
    settings.AXES_COOLOFF_TIME = dt.timedelta(seconds=2)
    guess(Client(), 10)
    locked = log_in(Client(), PASSWORD)
    assert locked.status_code == 429 and locked["Retry-After"] in {"1", "2"}
    assert "Try again in 2 seconds." in locked.content.decode() or "Try again in 1 second." in locked.content.decode()
    time.sleep(2.1)
    assert logged_in(log_in(Client(), PASSWORD))


def test_the_address_is_the_one_herokus_router_appended(staff, settings):
    """As the rate limit reads it: the last X-Forwarded-For entry when it is trusted (DYNO set)."""
    settings.RATELIMIT_TRUST_X_FORWARDED_FOR = True
    for n in range(10):  # whatever the client puts before it, and whatever socket it came from
        log_in(Client(), f"wrong-{n}", address=f"10.0.0.{n}", HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, {ATTACKER}")
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [ATTACKER]
    assert log_in(Client(), PASSWORD, address=OTHER, HTTP_X_FORWARDED_FOR=ATTACKER).status_code == 429
    assert logged_in(log_in(Client(), PASSWORD, address=ATTACKER, HTTP_X_FORWARDED_FOR=STAFF_HOME))


# --- lifting a lockout ---------------------------------------------------------------------------

def test_staff_lift_a_lockout_with_the_reset_command(staff, lines):  # noqa: F811
    guess(Client(), 10)
    call_command("axes_reset_ip_username", ATTACKER, "staff")
    assert logged_in(log_in(Client(), PASSWORD))
    assert events(lines, "login_unlocked") == [
        f"at=info logger=bikesite.events event=login_unlocked username=staff client={ATTACKER} attempts=1"]


def test_staff_lift_an_address_lockout_with_the_reset_command(staff, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3
    for n in range(3):
        log_in(Client(), "x", username=f"user{n}")
    assert log_in(Client(), PASSWORD).status_code == 429
    call_command("axes_reset_ip", ATTACKER)
    assert logged_in(log_in(Client(), PASSWORD))


@pytest.fixture
def other_admin(django_user_model):
    """Another administrator, logged in, in a browser of their own."""
    admin_client = Client()
    admin_client.force_login(django_user_model.objects.create_superuser("boss", "boss@example.com", PASSWORD))
    return admin_client


def lift(admin_client, action, attempts):
    return admin_client.post("/admin/axes/accessattempt/", {
        "action": action, "_selected_action": [attempt.pk for attempt in attempts]})


def test_staff_lift_a_lockout_from_the_admin(staff, other_admin):
    guess(Client(), 10)
    listed = other_admin.get("/admin/axes/accessattempt/").content.decode()
    assert ATTACKER in listed and "Locked Out" in listed
    response = lift(other_admin, "lift_username_lockouts", AccessAttempt.objects.all())
    assert response.status_code == 302
    assert "Lifted for 1 username at their address: 1 attempt record removed" in \
        other_admin.get("/admin/axes/accessattempt/").content.decode()
    assert logged_in(log_in(Client(), PASSWORD))


def test_staff_lift_an_address_lockout_from_the_admin(staff, other_admin, settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3
    for n in range(3):
        log_in(Client(), "x", username=f"user{n}")
    lift(other_admin, "lift_address_lockouts", AccessAttempt.objects.all()[:1])
    assert not AccessAttempt.objects.exists()
    assert logged_in(log_in(Client(), PASSWORD))


def test_the_admins_login_tables_are_read_only_and_behind_the_hostile_input_guard(staff, other_admin):
    guess(Client(), 2)
    log_in(Client(), PASSWORD, address=STAFF_HOME)
    attempt, entry = AccessAttempt.objects.get(), AccessLog.objects.get(username="staff")
    for path in ["/admin/axes/accessattempt/", f"/admin/axes/accessattempt/{attempt.pk}/change/",
                 "/admin/axes/accesslog/", f"/admin/axes/accesslog/{entry.pk}/change/"]:
        page = other_admin.get(path)
        assert page.status_code == 200, path
        assert 'name="_save"' not in page.content.decode(), path
    for path in ["/admin/axes/accessattempt/add/", "/admin/axes/accesslog/add/",
                 f"/admin/axes/accessattempt/{attempt.pk}/delete/", f"/admin/axes/accesslog/{entry.pk}/delete/"]:
        assert other_admin.get(path).status_code == 403, path
    for model in (AccessAttempt, AccessLog):
        assert type(admin.site._registry[model]).__mro__[1].__name__ == "HostileInputSafeAdmin"
    hostile = other_admin.get("/admin/axes/accessattempt/?attempt_time__year=99999&q=%00")
    assert hostile.status_code == 302 and hostile["Location"].endswith("?e=1")


def test_a_lift_action_with_ids_that_are_not_ids_changes_nothing(staff, other_admin):
    guess(Client(), 10)
    response = other_admin.post("/admin/axes/accessattempt/", {
        "action": "lift_username_lockouts", "_selected_action": ["not-an-id", "9" * 40]})
    assert response.status_code == 302
    assert AccessAttempt.objects.get().failures_since_start == 10


# --- events and counters -------------------------------------------------------------------------

def test_each_failure_is_one_event_with_username_and_client_never_the_password(client, staff, lines):  # noqa: F811
    log_in(client, "hunter2-secret", username='staff" at=fake')
    log_in(client, "other-secret")
    failed = events(lines, "login_failed")
    assert failed == [
        f'at=warning logger=bikesite.events event=login_failed username="staff\\" at=fake" client={ATTACKER} '
        "failures=1 limit=10",
        f"at=warning logger=bikesite.events event=login_failed username=staff client={ATTACKER} failures=1 limit=10"]
    assert not [line for line in lines() if "secret" in line]


def test_a_lockout_is_one_event_and_refusals_add_none(client, staff, lines):  # noqa: F811
    guess(client, 10)
    log_in(client, PASSWORD)
    log_in(client, "wrong")
    assert len(events(lines, "login_failed")) == 10
    assert events(lines, "login_locked") == [
        f"at=warning logger=bikesite.events event=login_locked username=staff client={ATTACKER} "
        "scope=username_and_address cooloff_seconds=900"]
    assert not [line for line in lines() if "AXES" in line]  # axes' own prose lines stay out of the log
    assert not [line for line in lines() if PASSWORD in line]


def test_failures_lockouts_and_refusals_are_counted(client, staff, settings):
    names = ("bikesite_login_failures_total", "bikesite_login_refused_total")
    before = [sample(name) for name in names]
    pair_before = sample("bikesite_login_lockouts_total", scope="username_and_address")
    address_before = sample("bikesite_login_lockouts_total", scope="address")
    guess(client, 10)
    log_in(client, PASSWORD)
    log_in(client, "wrong")
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 12
    guess(Client(), 2, username="someone-else")
    assert [sample(name) - b for name, b in zip(names, before)] == [12, 2]
    assert sample("bikesite_login_lockouts_total", scope="username_and_address") - pair_before == 1
    assert sample("bikesite_login_lockouts_total", scope="address") - address_before == 1


def test_the_counters_are_exposed_at_metrics(client, db):
    text = client.get("/metrics", HTTP_AUTHORIZATION="Bearer test-metrics-token").content.decode()
    for line in ["# TYPE bikesite_login_failures_total counter", "# TYPE bikesite_login_refused_total counter",
                 'bikesite_login_lockouts_total{scope="username_and_address"}',
                 'bikesite_login_lockouts_total{scope="address"}']:
        assert line in text


# --- the rest of the site pays nothing for it ----------------------------------------------------

def test_the_client_address_is_read_by_the_rate_limits_function(rf, settings):
    settings.RATELIMIT_TRUST_X_FORWARDED_FOR = True
    request = rf.post(LOGIN, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"6.6.6.6, {ATTACKER}")
    assert login_guard.client_address(request) == ATTACKER
    settings.RATELIMIT_TRUST_X_FORWARDED_FOR = False
    assert login_guard.client_address(request) == "10.0.0.1"


@pytest.mark.django_db(transaction=True)
def test_a_prediction_through_the_lean_chain_never_touches_the_login_guards_tables(active_version, settings):
    assert "axes.middleware.AxesMiddleware" in settings.MIDDLEWARE  # and so in the lean chain too
    assert "axes.middleware.AxesMiddleware" not in NOT_NEEDED_BY_THE_PREDICTION_API
    call(application, "/api/v1/predictions")  # the first one loads the model
    with CaptureQueriesContext(connection) as queries:
        status, _, _ = call(application, "/api/v1/predictions")
    assert status.startswith("201")
    assert [q["sql"] for q in queries if "axes" in q["sql"]] == []
    assert len(queries) == 1, [q["sql"] for q in queries]  # the INSERT: one round trip per prediction


def test_the_form_page_and_its_post_never_touch_the_login_guards_tables(client, active_version):
    with CaptureQueriesContext(connection) as queries:
        client.get("/")
        client.post("/", {"temperature": "20", "humidity": "60", "windspeed": "12"})
    assert [q["sql"] for q in queries if "axes" in q["sql"]] == []

