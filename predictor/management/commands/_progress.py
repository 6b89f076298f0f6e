"""Progress of a long history command, redrawn on one line, only when a person is watching."""
import time


class Progress:
    """Counts rows; on a terminal, shows `rows of total (percent), rate` at most twice a second."""

    def __init__(self, stream, *, verb: str, total: int | None = None):
        self.stream, self.verb, self.total = stream, verb, total
        self.rows = 0
        self.started = self.shown = time.monotonic()
        self.visible = hasattr(stream, "isatty") and stream.isatty()

    def __call__(self, rows: int) -> None:
        self.rows += rows
        now = time.monotonic()
        if self.visible and now - self.shown >= 0.5:
            self.shown = now
            self.stream.write("\r" + self.line(now))
            self.stream.flush()

    def line(self, now: float) -> str:
        rate = self.rows / max(now - self.started, 1e-9)
        done = f"{self.verb} {self.rows:,}"
        if self.total:
            done += f" of {self.total:,} rows ({min(100.0, 100 * self.rows / self.total):.0f} %)"
        else:
            done += " rows"
        return f"{done}, {rate:,.0f} rows/s "

    def finish(self) -> None:
        if self.visible:
            self.stream.write("\r" + self.line(time.monotonic()) + "\n")
            self.stream.flush()
