"""Concurrent clients posting forecasts for a bounded time, recording every answer.

Each request carries a unique (humidity, windspeed) pair, so every stored row can be matched to
the request that made it: a 2xx answer without its row is a lost row; a row without a 2xx
answer is work whose answer never arrived.
"""
import http.client
import json
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlencode

from tests.waiting import wait_until

KINDS = ("form", "api")  # what the load sends: clients of the form and of the JSON API, half and half
CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
RESULT_URL = re.compile(r"^/predictions/([0-9a-f-]{36})/$")
MAX_REQUESTS_PER_CLIENT = 100_000  # a bound on every loop, whatever the clock says
# What Heroku's router adds to every request it forwards (TLS ended at the router): with DYNO set
# the app redirects plain HTTP to HTTPS and takes the client's address from X-Forwarded-For.
ROUTER_HEADERS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7", "X-Forwarded-Port": "443"}


@dataclass
class Outcome:
    kind: str  # "form" or "api"
    client: int
    port: int
    humidity: float
    windspeed: float
    started: float  # time.monotonic()
    finished: float
    status: int | None = None  # None: no HTTP answer at all
    error: str | None = None
    prediction_id: str | None = None
    model_version: int | None = None
    content_type: str = ""
    body: str = ""  # kept for answers that are not a success

    @property
    def ok(self) -> bool:
        return self.prediction_id is not None


class LoadClient:
    def __init__(self, *, index: int, port: int, kind: str, timeout: float = 30, headers: dict | None = None):
        self.index, self.port, self.kind, self.timeout = index, port, kind, timeout
        self.headers = headers or {}  # e.g. what Heroku's router adds (ROUTER_HEADERS)
        self.cookie, self.token = "", ""

    def _request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            conn.request(method, path, body=body, headers={"Connection": "close", **self.headers, **(headers or {})})
            response = conn.getresponse()
            return response, response.read()
        finally:
            conn.close()

    def prepare(self) -> None:
        """A form client loads the form once for its CSRF cookie and token, as a browser does."""
        if self.kind != "form":
            return
        response, body = self._request("GET", "/")
        self.cookie = response.getheader("Set-Cookie").split(";", 1)[0]
        self.token = CSRF_INPUT.search(body).group(1).decode()

    def send(self, seq: int) -> Outcome:
        inputs = {"temperature": 15.5, "humidity": float(self.index), "windspeed": seq / 1000}
        outcome = Outcome(self.kind, self.index, self.port, inputs["humidity"], inputs["windspeed"],
                          started=time.monotonic(), finished=0.0)
        try:
            if self.kind == "form":
                body = urlencode({**inputs, "csrfmiddlewaretoken": self.token}).encode()
                response, content = self._request("POST", "/", body, {
                    "Content-Type": "application/x-www-form-urlencoded", "Cookie": self.cookie})
            else:
                response, content = self._request("POST", "/api/v1/predictions", json.dumps(inputs).encode(),
                                                  {"Content-Type": "application/json"})
            outcome.status = response.status
            outcome.content_type = response.getheader("Content-Type", "")
            if self.kind == "form" and response.status == 303:
                match = RESULT_URL.match(response.getheader("Location", ""))
                outcome.prediction_id = match.group(1) if match else None
            elif self.kind == "api" and response.status == 201:
                answer = json.loads(content)
                outcome.prediction_id, outcome.model_version = answer["id"], answer["model_version"]
            if not outcome.ok:
                outcome.body = content.decode(errors="replace")[:2000]
        except (OSError, http.client.HTTPException) as exc:
            outcome.error = f"{exc.__class__.__name__}: {exc}"
        outcome.finished = time.monotonic()
        return outcome


@dataclass
class LoadRun:
    outcomes: list[Outcome] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, outcome: Outcome) -> None:
        with self._lock:
            self.outcomes.append(outcome)

    def so_far(self) -> list[Outcome]:
        """The outcomes recorded until now, while the load may still be running."""
        with self._lock:
            return list(self.outcomes)

    @property
    def successes(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.ok]

    def statuses(self) -> Counter:
        return Counter(o.status if o.status is not None else o.error.split(":")[0] for o in self.outcomes)

    def server_errors(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status is not None and o.status >= 500]


def run_load(*, ports: list[int], clients: int, seconds: float, kinds=("form",),
             stop: threading.Event | None = None, stop_on_refused: bool = False,
             pause_after_failure: float = 0.05, headers: dict | None = None, run: LoadRun | None = None) -> LoadRun:
    """`clients` threads, spread over the ports and kinds, each posting back to back for `seconds`
    (or until `stop` is set), recording into `run` (a new LoadRun by default). Blocks until every
    client is done."""
    run, stop = run or LoadRun(), stop or threading.Event()
    deadline = time.monotonic() + seconds
    # Every port gets every kind: client i goes to port i mod P with kind (i div P) mod K.
    load_clients = [LoadClient(index=i, port=ports[i % len(ports)], kind=kinds[i // len(ports) % len(kinds)],
                               headers=headers) for i in range(clients)]
    for client in load_clients:
        client.prepare()

    def work(client: LoadClient) -> None:
        for seq in range(1, MAX_REQUESTS_PER_CLIENT + 1):
            if stop.is_set() or time.monotonic() >= deadline:
                return
            outcome = client.send(seq)
            run.add(outcome)
            if outcome.error and "ConnectionRefused" in outcome.error and stop_on_refused:
                return  # the server closed its socket: nothing more to send to it
            if not outcome.ok:
                time.sleep(pause_after_failure)

    threads = [threading.Thread(target=work, args=(client,), daemon=True) for client in load_clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    return run


class BackgroundLoad:
    """run_load in a thread of its own, for tests that act while the load runs (stop the database,
    send SIGTERM, activate a version): started, waited on until it runs, stopped when the test says."""

    def __init__(self, *, ports: list[int], clients: int = 8, kinds=KINDS, seconds: float = 120, **options):
        """seconds: a bound only, in case the test never stops it; options: as run_load takes them."""
        self.clients = clients
        self.run, self._stop, self._error = LoadRun(), threading.Event(), None
        self._thread = threading.Thread(target=self._load, daemon=True, kwargs=dict(
            ports=ports, clients=clients, seconds=seconds, kinds=kinds, stop=self._stop, run=self.run, **options))

    def _load(self, **arguments) -> None:
        try:
            run_load(**arguments)
        except BaseException as error:
            self._error = error
            raise

    def start(self) -> "BackgroundLoad":
        self._thread.start()
        return self

    def _so_far(self) -> list[Outcome]:
        """The outcomes so far, while the load is still on (a wait for more would be in vain)."""
        assert self._thread.is_alive(), f"the load stopped before it was told to: {self._error!r}"
        return self.run.so_far()

    def wait_until_running(self, successes: int = 20, timeout: float = 60) -> None:
        """Until every client has had an answer with its row, and `successes` in all: the load is on."""
        def running() -> bool:
            answered = [o for o in self._so_far() if o.ok]
            return len(answered) >= successes and len({o.client for o in answered}) == self.clients
        wait_until(running, timeout, f"the load did not get going ({self.clients} clients, {successes} successes)")

    def wait_for(self, count: int, which, timeout: float = 60, what: str = "outcomes") -> None:
        """Until `count` of the outcomes so far satisfy `which` (e.g. those started after a moment)."""
        wait_until(lambda: sum(1 for o in self._so_far() if which(o)) >= count, timeout,
                   f"fewer than {count} {what}")

    def stop_sending(self) -> None:
        """No new requests from here on; those under way go on."""
        self._stop.set()

    def finish(self, timeout: float = 120) -> LoadRun:
        """Stops sending and returns the run once every client has had its last answer."""
        self.stop_sending()
        self._thread.join(timeout=timeout)
        assert not self._thread.is_alive(), f"the load's clients did not finish within {timeout} s"
        return self.run


def stored_rows(pg, database: str) -> dict[str, tuple[float, float, int]]:
    """id -> (humidity, windspeed, model_version_id) of every stored prediction."""
    rows = pg.execute("SELECT id::text, humidity, windspeed, model_version_id FROM predictor_prediction",
                      database=database)
    return {row[0]: (row[1], row[2], row[3]) for row in rows}


def lost_rows(run: LoadRun, rows: dict) -> list[Outcome]:
    """Answered successes whose row is not in the database (or is not what was sent)."""
    return [o for o in run.successes
            if o.prediction_id not in rows or rows[o.prediction_id][:2] != (o.humidity, o.windspeed)]
