"""gunicorn's gthread worker, with two changes: the workers share their connections evenly, and
on SIGTERM a worker also answers the connections already queued.

Sharing connections: all workers accept from one listening socket, and the stock worker accepts
whatever it can, busy or not. Keep-alive connections then stay with whichever worker won each
race: a router or load balancer that opens its pool of connections at once can land all of them
in one worker, which serves them on one core while the other workers idle (bench/HISTORY.md
has the measurement).
Here every worker publishes how many connections it holds on a small board in memory shared by
the workers of one master, and accepts only while it holds no more than the least loaded live
worker: least connections, as a load balancer does it. The least loaded worker always accepts,
so no connection waits for a worker that will not take it.

Draining at SIGTERM: the master closes its listening sockets and the stock worker stops
accepting, so connections the kernel had already queued (sent by the router, not yet accepted)
are reset unanswered when the worker exits. This worker accepts that queue once before it stops
accepting; gthread's own graceful shutdown then answers them with the requests in flight.
"""
import mmap
import multiprocessing
import os
import struct
import time

from gunicorn.workers.gthread import ThreadWorker

# A worker holding back looks at the board this often: the others' counts change without
# waking it (its listening socket is out of its poller meanwhile).
HOLD_BACK_POLL_SECONDS = 0.005
# A worker updates its entry every loop, at least every LOOP_SECONDS; an entry older than
# STALE_SECONDS is a worker that hangs or died without a word, ignored and free to take. A worker
# killed outright is noticed sooner: its pid is gone (checked before holding back for it).
LOOP_SECONDS = 0.5
STALE_SECONDS = 1.5
_ENTRY = struct.Struct("=qqd")  # pid, connections held, last update (monotonic)
_ENTRIES = 32  # workers of one master; any beyond accept as the stock worker does
_ALL_ENTRIES = struct.Struct("=" + "qqd" * _ENTRIES)  # the whole board in one read


class _Board:
    """Per-worker entries in anonymous shared memory, made in the master before it forks.

    Entries are written without a lock: a read torn by a concurrent write costs one wrong
    accept decision, corrected on the next loop. Only claiming an entry takes the lock.
    """

    def __init__(self):
        self.memory = mmap.mmap(-1, _ENTRY.size * _ENTRIES)
        self.claim_lock = multiprocessing.Lock()

    def claim(self, pid: int) -> int:
        with self.claim_lock:
            now = time.monotonic()
            for index in range(_ENTRIES):
                owner, _, updated = _ENTRY.unpack_from(self.memory, index * _ENTRY.size)
                if owner == 0 or now - updated > STALE_SECONDS:
                    self.write(index, pid, 0)
                    return index
        return -1  # more workers than entries: this one accepts as the stock worker does

    def write(self, index: int, pid: int, connections: int) -> None:
        _ENTRY.pack_into(self.memory, index * _ENTRY.size, pid, connections, time.monotonic())

    def fewest_connections_elsewhere(self, index: int) -> int | None:
        """The fewest connections held by another live worker, if there is one."""
        board = _ALL_ENTRIES.unpack_from(self.memory)
        live_since = time.monotonic() - STALE_SECONDS
        fewest = min(((connections, other, owner) for other, (owner, connections, updated)
                      in enumerate(zip(board[0::3], board[1::3], board[2::3]))
                      if owner and updated >= live_since and other != index), default=None)
        if fewest is None:
            return None
        connections, other, owner = fewest
        if not _is_running(owner):  # killed (SIGKILL, out of memory): it left its entry behind
            self.release(other)
            return self.fewest_connections_elsewhere(index)
        return connections

    def release(self, index: int) -> None:
        _ENTRY.pack_into(self.memory, index * _ENTRY.size, 0, 0, 0.0)


def _is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # no signal sent: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        pass
    return True


# Imported by the gunicorn master when it loads the worker class, so every worker it forks
# shares this one board.
_board = _Board()


class BalancedDrainingThreadWorker(ThreadWorker):
    board = _board

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.board_index = -1
        self.holding_back = False  # not accepting only because it holds more than the others

    def init_process(self):
        self.board_index = self.board.claim(os.getpid())
        super().init_process()

    def notify(self):
        # Called at the top of every loop of the worker: publish and decide (set_accept_enabled).
        super().notify()
        if self.alive:
            self.set_accept_enabled(True)

    def wait_for_and_dispatch_events(self, timeout):
        timeout = min(timeout, HOLD_BACK_POLL_SECONDS if self.holding_back else LOOP_SECONDS)
        super().wait_for_and_dispatch_events(timeout)

    def should_accept(self) -> bool:
        self.holding_back = False
        if self.nr_conns >= self.worker_connections:
            return False
        if self.board_index < 0:
            return True
        self.board.write(self.board_index, os.getpid(), self.nr_conns)
        fewest = self.board.fewest_connections_elsewhere(self.board_index)
        # No slack: counts are read a little late (each worker publishes its own once per loop),
        # which already lets a burst split up to 6/10.
        self.holding_back = fewest is not None and self.nr_conns > fewest
        return not self.holding_back

    def set_accept_enabled(self, enabled):
        if not self.alive:  # shutting down, not merely busy or at worker_connections
            if enabled is False:
                self.accept_queued_connections()
                if self.board_index >= 0:
                    self.board.release(self.board_index)
                    self.board_index = -1
        elif enabled and not self.should_accept():  # more connections than the others
            enabled = False
        super().set_accept_enabled(enabled)

    def accept_queued_connections(self):
        for listener in self.sockets:
            listener.setblocking(False)
            while True:
                accepted_before = self.nr_conns
                self.accept(listener)  # returns quietly once the queue is empty
                if self.nr_conns == accepted_before:
                    break
