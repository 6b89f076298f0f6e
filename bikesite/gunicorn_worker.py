"""gunicorn's gthread worker, which on SIGTERM also answers the connections already queued.

At SIGTERM the master closes its listening sockets and the stock worker stops accepting, so
connections the kernel had already queued (sent by the router, not yet accepted) are reset
unanswered when the worker exits. This worker accepts that queue once before it stops
accepting; gthread's own graceful shutdown then answers them with the requests in flight.
"""
from gunicorn.workers.gthread import ThreadWorker


class DrainingThreadWorker(ThreadWorker):
    def set_accept_enabled(self, enabled):
        if not enabled and not self.alive:  # shutting down, not merely at worker_connections
            self.accept_queued_connections()
        super().set_accept_enabled(enabled)

    def accept_queued_connections(self):
        for listener in self.sockets:
            listener.setblocking(False)
            while True:
                accepted_before = self.nr_conns
                self.accept(listener)  # returns quietly once the queue is empty
                if self.nr_conns == accepted_before:
                    break
