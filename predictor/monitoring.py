"""What an operator sees of the service: one call per notable happening, from the code where it
happens, recorded as Prometheus metrics (predictor.metrics) and/or one logfmt line
(predictor.logfmt). The callers stay one line each; what is counted and logged is decided here.
"""
import logging

from predictor import logfmt, metrics

# Per process: the reasons of the outages this process has seen begin and not yet end.
_outages: set[str] = set()


# --- predictions -----------------------------------------------------------------------------

def prediction_served(source: str, version_id: int, outside_features: list[str]) -> None:
    """One prediction was stored and is being answered; outside_features: its inputs outside the training range."""
    if _outages:
        _outages_ended()
    if not metrics.COLLECTING:
        return
    metrics.count_predictions(source, version_id, 1)
    for name in outside_features:
        metrics.count_outside(name)


def batch_served(source: str, version_id: int, count: int, outside_per_feature: dict[str, int]) -> None:
    """count predictions were stored in one batch; outside_per_feature: rows outside the training range, per feature."""
    if _outages:
        _outages_ended()
    if not metrics.COLLECTING:
        return
    metrics.count_predictions(source, version_id, count)
    for name, rows in outside_per_feature.items():
        if rows:
            metrics.count_outside(name, rows)


# --- refusals and outages --------------------------------------------------------------------

def inputs_rejected(status: int, errors: dict) -> None:
    """A request refused for its input: 400 (invalid), 413 (too large) or 415 (not JSON)."""
    if not metrics.COLLECTING or status not in (400, 413, 415):
        return
    for reason in {field.rsplit(".", 1)[-1] for field in errors}:
        metrics.count_rejected(reason)


def unavailable(reason: str, detail: str = "") -> None:
    """A 503: nothing stored. reason: "database" or "model"."""
    if metrics.COLLECTING:
        metrics.count_unavailable(reason)
    if reason not in _outages:
        _outages.add(reason)
        logfmt.event("outage_begun", level=logging.WARNING, reason=reason, detail=detail)


def not_ready(reason: str, detail: str) -> None:
    """GET /readyz answered 503. reason: "database" or "model"; detail: the error, for the log only."""
    logfmt.event("not_ready", level=logging.WARNING, reason=reason, detail=" ".join(str(detail).split()))


def _outages_ended() -> None:
    for reason in sorted(_outages):
        _outages.discard(reason)
        logfmt.event("outage_ended", reason=reason)


def rate_limited(client: str, limit: int, window: int, *, first: bool) -> None:
    """A request over the rate limit (429): counted each time, logged once per client and window
    (first: this request took the shared count over the limit)."""
    if metrics.COLLECTING:
        metrics.RATE_LIMITED.inc()
    if first:
        logfmt.event("rate_limited", level=logging.WARNING, client=client, limit=limit, window_seconds=window)


# --- the admin's login (predictor.login_guard) ----------------------------------------------

USERNAME_SHOWN = 150  # characters of a tried username in a log line (Django's own usernames are at most 150)


def login_failed(*, username: str | None, client: str | None, failures: int | None, limit: int) -> None:
    """A login whose password was checked and was wrong; failures: this username's from this client
    so far (the lockout comes at limit). Never the password."""
    if metrics.COLLECTING:
        metrics.LOGIN_FAILURES.inc()
    logfmt.event("login_failed", level=logging.WARNING, username=_shown(username), client=client,
                 failures=failures, limit=limit)


def login_locked(*, username: str | None, client: str | None, scope: str, seconds: int) -> None:
    """A lockout begins: scope username_and_address (this username from this client) or address
    (this client, any username), for seconds."""
    if metrics.COLLECTING:
        metrics.count_lockout(scope)
    logfmt.event("login_locked", level=logging.WARNING, username=_shown(username), client=client, scope=scope,
                 cooloff_seconds=seconds)


def login_refused() -> None:
    """A login refused while locked out: counted, not logged (a guesser sends thousands; the
    lockout's own login_locked line says who and where)."""
    if metrics.COLLECTING:
        metrics.LOGIN_REFUSED.inc()


def login_unlocked(*, username: str | None, client: str | None, attempts: int) -> None:
    """Staff lifted lockouts (a command or the admin): attempts records removed."""
    logfmt.event("login_unlocked", username=_shown(username), client=client, attempts=attempts)


def _shown(username: str | None) -> str | None:
    return None if username is None else username[:USERNAME_SHOWN]


# --- the model -------------------------------------------------------------------------------

def model_loaded(version_id: int, sha256: str, activated_at) -> None:
    if metrics.COLLECTING:
        metrics.MODEL_LOADS.inc()
        metrics.MODEL_VERSION.set(version_id)
        metrics.MODEL_ACTIVATED.set(activated_at.timestamp() if activated_at is not None else 0)  # 0: unknown
    logfmt.event("model_loaded", version=version_id, sha256=sha256[:12],
                 activated_at=activated_at.isoformat() if activated_at else None)


def model_refused(version_id: int, reason: str, still_serving: int | None) -> None:
    if metrics.COLLECTING:
        metrics.MODEL_REFUSED.inc()
    logfmt.event("model_refused", level=logging.ERROR, version=version_id, reason=reason,
                 still_serving=still_serving)


# --- release ---------------------------------------------------------------------------------

def release_step(step: str, **fields) -> None:
    logfmt.event("release_step", step=step, **fields)
