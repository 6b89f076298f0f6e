"""Log lines as key=value pairs (logfmt, the Heroku convention), each with Heroku's request_id.

Every record becomes one line: `at=<level> logger=<name>`, then the event's own fields (if it
was logged through event()), the message, and request_id when the record was logged while a
request carrying X-Request-ID was being served. Log drains and `heroku logs | grep event=...`
can then filter on fields instead of parsing prose. Tracebacks follow on their own lines.
"""
import contextvars
import logging
import re

logger = logging.getLogger("bikesite.events")

# The X-Request-ID of the request this thread is serving (set by the request middleware).
request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

_BARE = re.compile(r"[A-Za-z0-9_.:/@+\-]+")


def value(item) -> str:
    """One value in logfmt: bare when it is a plain token, double-quoted (escaped) otherwise."""
    if item is None:
        return ""
    text = item if isinstance(item, str) else str(item)
    if _BARE.fullmatch(text):
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


def event(name: str, *, level: int = logging.INFO, **fields) -> None:
    """Log one notable event (model_loaded, outage_begun, rate_limited, release_step, ...)."""
    logger.log(level, "", extra={"logfmt": {"event": name, **fields}})


class LogfmtFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        pairs = [("at", record.levelname.lower()), ("logger", record.name)]
        pairs += getattr(record, "logfmt", {}).items()
        message = record.getMessage()
        if message:
            pairs.append(("msg", message))
        current = request_id.get()
        if current:
            pairs.append(("request_id", current))
        line = " ".join(f"{key}={value(item)}" for key, item in pairs)
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        if record.stack_info:
            line += "\n" + self.formatStack(record.stack_info)
        return line


class AnsweredUnavailableFilter(logging.Filter):
    """Drops Django's own "Service Unavailable" line (django.request, at error level) for each 503.

    The service answers 503 only on purpose (the database or the model is unavailable: nothing
    was stored, the client is told to retry), and logs that once, as the outage_begun and
    outage_ended events, and counts each one (bikesite_unavailable_total). A line per request on
    top of that would bury the log during an outage. Every other status is left as Django logs it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return getattr(record, "status_code", None) != 503


class WithoutTracebackFilter(logging.Filter):
    """Logs a record in one line, as a warning, without its traceback: for refusals that Django
    logs at error level with their traceback though nothing went wrong here, such as a request for
    a Host not in ALLOWED_HOSTS (django.security.DisallowedHost), which scanners send by the
    thousand. The message says what was refused; the 400 is answered as before."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = record.exc_text = record.stack_info = None
        if record.levelno > logging.WARNING:
            record.levelno, record.levelname = logging.WARNING, logging.getLevelName(logging.WARNING)
        return True
