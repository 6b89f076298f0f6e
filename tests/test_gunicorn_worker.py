"""The project's gunicorn worker (bikesite/gunicorn_worker.py), run by a real gunicorn."""
import collections
import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from gunicorn.config import Config

from bikesite.gunicorn_worker import _ENTRY, STALE_SECONDS, BalancedDrainingThreadWorker, _Board
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[1]
WORKER = "bikesite.gunicorn_worker.BalancedDrainingThreadWorker"


@pytest.fixture
def two_workers(tmp_path):
    """gunicorn with 2 workers of 4 threads serving tests/gunicorn_app/pid_app.py; its port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    empty_config = tmp_path / "gunicorn.conf.py"
    empty_config.write_text("")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "pid_app:application", "--config", str(empty_config),
         "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4", "--worker-class", WORKER,
         "--pythonpath", f"{ROOT / 'tests' / 'gunicorn_app'},{ROOT}"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: len(_pids_answering(port, 20)) == 2, 20, "gunicorn did not start two workers serving")
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def _pids_answering(port: int, connections: int) -> collections.Counter:
    pids = collections.Counter()
    try:
        for _ in range(connections):
            client = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            client.request("GET", "/")
            pids[client.getresponse().read()] += 1
            client.close()
    except OSError:
        pass
    return pids


# /proc/net/tcp: local address (hex IP:port) and state of every TCP socket of this network namespace.
ESTABLISHED, CLOSE_WAIT = "01", "08"


def _open_server_side_connections(port: int) -> int:
    """Connections to port that a server process still holds open (closed by the client or not)."""
    local = f"0100007F:{port:04X}"  # 127.0.0.1, as /proc writes it
    rows = [line.split() for line in Path("/proc/net/tcp").read_text().splitlines()[1:]]
    return sum(1 for row in rows if row[1] == local and row[3] in (ESTABLISHED, CLOSE_WAIT))


def test_a_burst_of_keep_alive_connections_is_shared_evenly_between_the_workers(two_workers):
    for _ in range(3):
        # The connections closed before are gone from the workers' counts: closed on their side.
        wait_until(lambda: _open_server_side_connections(two_workers) == 0, 10,
                   "the workers did not close the connections the client closed")
        # Open all 16 at once, as wrk or a router's pool does, then ask on each.
        clients = [socket.create_connection(("127.0.0.1", two_workers)) for _ in range(16)]
        served_by = collections.Counter()
        for client in clients:
            client.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        for client in clients:
            response = http.client.HTTPResponse(client)
            response.begin()
            served_by[response.read()] += 1
            client.close()
        # Stock gthread gives one worker 11 to 16 of them in most runs; seen here: 8/8 to 6/10.
        assert len(served_by) == 2 and max(served_by.values()) <= 11, served_by


def _worker_on(board, listener) -> BalancedDrainingThreadWorker:
    worker = BalancedDrainingThreadWorker(1, os.getpid(), [listener], None, 30, Config(), None)
    worker.tmp.close()
    worker.board, worker.board_index = board, board.claim(os.getpid())
    return worker


def test_a_worker_holding_more_connections_than_another_leaves_new_ones_to_it():
    board = _Board()
    with socket.create_server(("127.0.0.1", 0)) as listener:
        busy, idle = _worker_on(board, listener), _worker_on(board, listener)
        busy.nr_conns, idle.nr_conns = 2, 1
        busy.should_accept()  # each publishes its count when it decides
        assert idle.should_accept()
        assert not busy.should_accept()
        idle.nr_conns = 2
        assert idle.should_accept() and busy.should_accept()  # even: both take connections


def test_a_worker_that_stopped_updating_its_count_holds_nobody_back():
    board = _Board()
    with socket.create_server(("127.0.0.1", 0)) as listener:
        worker = _worker_on(board, listener)
        gone = board.claim(4242)
        _ENTRY.pack_into(board.memory, gone * _ENTRY.size, 4242, 0, time.monotonic() - STALE_SECONDS - 1)
        worker.nr_conns = 5
        assert worker.should_accept()


def test_a_worker_killed_outright_holds_nobody_back():
    board = _Board()
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(finished.stdout)
    with socket.create_server(("127.0.0.1", 0)) as listener:
        worker = _worker_on(board, listener)
        killed = board.claim(dead_pid)  # a fresh entry, 0 connections, no process behind it
        worker.nr_conns = 5
        assert worker.should_accept()
        assert _ENTRY.unpack_from(board.memory, killed * _ENTRY.size)[0] == 0  # freed for the next worker
