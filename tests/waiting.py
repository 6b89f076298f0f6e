"""Waiting in tests: for an event, by polling it with a deadline, never for a guessed time.

wait_until() is for "until something happens" (a port answers, a process is gone, a row count or
a log line is reached); hold() is for the rare sleep that is itself what a test is about (an
outage that lasts 5 s, load kept running past a limit), so such a sleep says so where it is.
"""
import time
from typing import Callable, TypeVar

T = TypeVar("T")


def wait_until(condition: Callable[[], T], timeout: float, message: str | Callable[[], str],
               interval: float = 0.05) -> T:
    """condition()'s first truthy value, asked every interval seconds; AssertionError(message)
    if there is none within timeout seconds (message may be a function, asked then, to tell what
    was seen last). Exceptions raised by condition go through."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"{message() if callable(message) else message} (not within {timeout} s)")
        time.sleep(interval)


def hold(seconds: float, what: str) -> None:
    """Let `what` go on for `seconds`: a span of time the test is about, not a wait for an event."""
    if seconds > 0:
        time.sleep(seconds)
