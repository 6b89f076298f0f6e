"""gunicorn's sync worker, which on SIGTERM also answers the connections already waiting.

The stock worker stops accepting at SIGTERM and exits after its current request; connections
that were already queued in the kernel (sent by the router, not yet accepted) are then reset
unanswered. This one drains that queue first, within half the graceful timeout.
"""
import errno
import time

from gunicorn.workers.sync import SyncWorker


class DrainingSyncWorker(SyncWorker):
    def run(self):
        super().run()  # returns once SIGTERM has set self.alive to False
        deadline = time.monotonic() + self.cfg.graceful_timeout / 2
        for listener in self.sockets:
            while time.monotonic() < deadline:
                self.notify()  # still alive, as far as the master's timeout goes
                try:
                    self.accept(listener)  # handles the request completely
                except OSError as exc:
                    if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                        break  # the queue is empty
                    if exc.errno != errno.ECONNABORTED:
                        raise
