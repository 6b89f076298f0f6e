"""The admin's login, guarded against guessing: django-axes with its database handler, so every
worker of every dyno shares the counts (settings: AXES_*, LOGIN_ADDRESS_FAILURE_LIMIT).

- One username from one address: locked after AXES_FAILURE_LIMIT failed logins within
  AXES_COOLOFF_TIME, for AXES_COOLOFF_TIME after the last one (AXES_LOCKOUT_PARAMETERS).
- One address, whatever the usernames (password spraying): locked after
  LOGIN_ADDRESS_FAILURE_LIMIT failures within AXES_COOLOFF_TIME (LoginGuardHandler).
- Locked out, a login is refused before its password is hashed, not counted, and answered with
  the lockout page (predictor.errors.login_locked), 429 with Retry-After. The same username from
  another address still logs in. A successful login resets its username and address.
- The address is the rate limit's (predictor.ratelimit.client_ip): behind Heroku's router the
  one it appends to X-Forwarded-For, the socket's elsewhere.
- Staff lift a lockout with `manage.py axes_reset_ip_username ADDRESS USERNAME` (or axes_reset_ip,
  axes_reset_username, axes_reset), or with the actions of the admin's access attempts list.

Each counted failure, each lockout and each lift is one logfmt event and a counter
(predictor.monitoring). The check and the count are separate queries, as in django-axes: guesses
already past the check when the lock begins are still checked and counted (at most one per other
thread serving a login at that moment).
"""
import math

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.utils import timezone

from predictor import errors, monitoring, ratelimit

PAIR, ADDRESS = "username_and_address", "address"  # what a lockout holds: its scope


def client_address(request) -> str | None:
    """The client's address, read where the rate limit reads it (AXES_CLIENT_IP_CALLABLE)."""
    return ratelimit.client_ip(request) or None


def _recent(request):
    """The attempts whose last failure is within the cool-off period: those that still count."""
    return AccessAttempt.objects.filter(attempt_time__gte=get_cool_off_threshold(request))


class LoginGuardHandler(AxesDatabaseHandler):
    """django-axes' database handler, with a cap per address on top of its count per username
    and address, and the events and counters of every failure, lockout and lift."""

    def get_failures(self, request, credentials=None) -> int:
        """What django-axes compares with AXES_FAILURE_LIMIT: this username's failures from this
        address; or the limit itself once the address has LOGIN_ADDRESS_FAILURE_LIMIT failures
        over all usernames (the address is then locked whatever the username)."""
        pair = super().get_failures(request, credentials)
        request.login_guard_pair_failures = pair
        limit = get_failure_limit(request, credentials)
        request.login_guard_scope = PAIR
        if pair < limit and self.address_failures(request) >= settings.LOGIN_ADDRESS_FAILURE_LIMIT:
            request.login_guard_scope = ADDRESS
            return limit
        return pair

    def address_failures(self, request) -> int:
        recent = _recent(request).filter(ip_address=request.axes_ip_address)
        return recent.aggregate(failures=Sum("failures_since_start"))["failures"] or 0

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        if request is None:  # not a login through a page (axes logs it and counts nothing)
            return super().user_login_failed(sender, credentials, request, **kwargs)
        refused = request.axes_locked_out  # by the backend, already locked: neither checked nor counted
        super().user_login_failed(sender, credentials, request, **kwargs)
        username, client = get_client_username(request, credentials), request.axes_ip_address
        if refused:
            monitoring.login_refused()
            return
        monitoring.login_failed(username=username, client=client,
                                failures=getattr(request, "login_guard_pair_failures", None),
                                limit=get_failure_limit(request, credentials))
        if request.axes_locked_out:
            monitoring.login_locked(username=username, client=client, scope=request.login_guard_scope,
                                    seconds=int(get_cool_off(request).total_seconds()))

    def reset_attempts(self, *, ip_address=None, username=None, ip_or_username=False) -> int:
        """Lift lockouts (the axes_reset* commands and the admin's actions come here)."""
        count = super().reset_attempts(ip_address=ip_address, username=username, ip_or_username=ip_or_username)
        monitoring.login_unlocked(username=username, client=ip_address, attempts=count)
        return count


def lift(*, username: str | None = None, address: str | None = None) -> int:
    """Lift the lockout of username at address (either alone: every address, every username);
    returns how many attempt records were removed."""
    if username is None and address is None:
        raise ValueError("name a username, an address or both")
    return AxesProxyHandler.reset_attempts(username=username, ip_address=address)


def seconds_left(request, credentials=None) -> int:
    """Until the lockout of this request ends: the cool-off after the last failure that holds it
    (for an address, an upper bound: it ends sooner if enough of its older failures expire)."""
    cool_off = get_cool_off(request)
    holding = _recent(request).filter(ip_address=request.axes_ip_address)
    if getattr(request, "login_guard_scope", PAIR) == PAIR:
        holding = holding.filter(username=get_client_username(request, credentials))
    last = holding.aggregate(last=Max("attempt_time"))["last"]
    if last is None:
        return max(1, math.ceil(cool_off.total_seconds()))
    return max(1, math.ceil((last + cool_off - timezone.now()).total_seconds()))


def refusal_if_locked(request):
    """The lockout page for a login POST from a locked-out username and address, or None: checked
    before the login view runs (predictor.middleware.LoginLockoutMiddleware), so a guesser who
    goes on costs two small queries and a small page, not the admin's login form rendered and
    thrown away (django-axes' backend and middleware alone refuse only after the view ran)."""
    if AxesProxyHandler.is_allowed(request):
        return None
    monitoring.login_refused()
    return lockout_response(request)


def lockout_response(request, original_response=None, credentials=None):
    """The answer to a login refused by the lockout (AXES_LOCKOUT_CALLABLE)."""
    scope = getattr(request, "login_guard_scope", PAIR)
    limit = (settings.LOGIN_ADDRESS_FAILURE_LIMIT if scope == ADDRESS
             else get_failure_limit(request, credentials))
    return errors.login_locked(request, whole_address=scope == ADDRESS, failures=limit,
                               retry_after=seconds_left(request, credentials))
