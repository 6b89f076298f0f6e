"""The performance benchmark: the service as Heroku runs it, against the tutorial's Flask app.

    make bench            # or: .venv/bin/python bench/run.py [--seconds 10] [--rounds 3]

Needs PostgreSQL 15's binaries (PG_BIN, default /usr/lib/postgresql/15/bin) and wrk (Debian:
apt-get install wrk). With DYNO set the app requires SSL to its database, as Heroku Postgres
offers it, so the bench runs its own throwaway cluster with SSL (tests/harness/postgres.py) and
removes it afterwards; BENCH_DATABASE_URL names another database instead (one that accepts SSL;
it is dropped and made afresh every run).

The production configuration, by default: the release phase, then the Procfile's web process
with the environment the Python buildpack gives a dyno (DYNO, PORT, WEB_CONCURRENCY=2,
GUNICORN_CMD_ARGS="--access-logfile -", FORWARDED_ALLOW_IPS="*"), rate limiting on with a limit
no client reaches (every POST is counted, none refused), and every request as Heroku's router
forwards it (X-Forwarded-Proto: https, one of 1,000 client addresses appended to
X-Forwarded-For). The tutorial app (bench/tutorial_app) runs under the same buildpack
environment; the floor app (bench/floor_app.py: JSON, bounds, one INSERT) under the service's
gunicorn settings against the same database. Variants (--variant "label:NAME=value,...") are lab
runs, labelled as such; COMMAND=... serves one with another command (e.g. `env -C <checkout>
...`, for a same-run A/B against other code).

It measures, alternating the apps round by round: requests/s and p99 of POST
/api/v1/predictions against the tutorial's form POST (wrk -t2 -c16) and against the floor's
POST, each round's ratios to both, stored rows against 2xx
answers, 10,000-row batches end to end against a bare COPY of the same rows from Python in the
same run, worker memory after 10,000+ requests, boot time. Prints one table and writes it to
bench/results/latest.md.
"""
import argparse
import contextlib
import http.client
import io
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse
import uuid
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as `python bench/run.py`: the repository's own modules, tests/ among them
# One reader of the Procfile, one buildpack environment and one port finder, shared with the tests:
from tests.harness.web import free_port  # noqa: E402
from tests.procfile import BUILDPACK_ENV, procfile_command  # noqa: E402

BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
TUTORIAL = BENCH / "tutorial_app"
TUTORIAL_VENV = BENCH / ".venv-tutorial"
VENV_BIN = Path(sys.executable).parent
HISTORY_ROWS = 1_000_000
BATCH_ROWS = 10_000
CLIENTS = 1_000  # distinct client addresses in X-Forwarded-For
ADMIN_USER, ADMIN_PASSWORD = "bench-admin", "bench-admin-password-not-secret"
HTTPS_HEADERS = {"X-Forwarded-Proto": "https"}  # what Heroku's router adds
# The floor app (bench/floor_app.py) under the service's gunicorn settings.
FLOOR_COMMAND = "env -u GUNICORN_CMD_ARGS gunicorn --config gunicorn.conf.py --pythonpath bench floor_app:application"
# What the Python buildpack's .profile.d scripts export on every dyno (tests/procfile.py), and
# PYTHONUNBUFFERED as bin/compile sets it for the app.
DYNO_ENV = {**BUILDPACK_ENV, "PYTHONUNBUFFERED": "true"}


# -- processes ------------------------------------------------------------------------------

def service_env(database_url: str, port: int, overrides: dict | None = None) -> dict:
    environment = {key: value for key, value in os.environ.items() if key not in ("WEB_THREADS", "CI")}
    return {
        **environment,
        **DYNO_ENV,
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}",
        "DATABASE_URL": database_url,
        "PORT": str(port),
        "DYNO": "web.1",
        "SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
        # On, with a limit no client of the benchmark reaches: every POST is counted, none refused.
        "RATELIMIT_ENABLED": "1",
        "RATELIMIT_REQUESTS": str(10**9),
        # Metrics on, as an operator runs it; BENCH_METRICS_TOKEN= (empty) measures without them.
        "METRICS_TOKEN": os.environ.get("BENCH_METRICS_TOKEN", "bench-metrics-token"),
        **(overrides or {}),
    }


def start(command: str, *, cwd: Path, env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(["bash", "-c", f"exec {command}"], cwd=cwd, env=env,
                            stdout=open(log, "wb"), stderr=subprocess.STDOUT, start_new_session=True)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)  # gunicorn master: graceful shutdown of its workers
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def worker_rss_mb(master: subprocess.Popen) -> list[float]:
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    sizes = []
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        sizes.append(int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024)
    return sorted(sizes)


# -- HTTP -----------------------------------------------------------------------------------

def request(port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
            timeout: float = 60):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers={**HTTPS_HEADERS, **(headers or {})})
        response = connection.getresponse()
        return response.status, response.read(), response
    finally:
        connection.close()


def post_json(port: int, path: str, payload) -> tuple[int, bytes]:
    status, body, _ = request(port, "POST", path, json.dumps(payload).encode(), {"Content-Type": "application/json"})
    return status, body


def wait_for_first_answer(port: int, send, started: float, limit: float = 60) -> float:
    """Seconds from `started` until send() gets an answer (polled every 10 ms)."""
    while time.monotonic() - started < limit:
        try:
            if send(port) < 500:
                return time.monotonic() - started
        except OSError:
            pass
        time.sleep(0.01)
    raise SystemExit(f"nothing answered on port {port} within {limit:.0f} s; see bench/results/*.log")


def sample_inputs(count: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    return [{"temperature": round(rng.uniform(-5, 35), 1), "humidity": round(rng.uniform(20, 100), 1),
             "windspeed": round(rng.uniform(0, 40), 1)} for _ in range(count)]


def api_post(port: int) -> int:
    return post_json(port, "/api/v1/predictions", sample_inputs(1)[0])[0]


def form_post(port: int) -> int:
    body = urllib.parse.urlencode(sample_inputs(1)[0]).encode()
    return request(port, "POST", "/", body, {"Content-Type": "application/x-www-form-urlencoded"})[0]


# -- wrk ------------------------------------------------------------------------------------

def client_address(number: int) -> str:
    return f"198.18.{number // 250}.{number % 250 + 1}"  # 198.18.0.0/15: for benchmarks (RFC 2544)


def wrk_script(name: str, path: str, content_type: str, bodies: list[str]) -> Path:
    """A wrk script that POSTs the bodies in turn, each time from the next of CLIENTS addresses,
    as Heroku's router forwards it (the requests are formatted once, at start)."""
    lua_bodies = ",\n".join(json.dumps(body) for body in bodies)
    lua_addresses = ", ".join(f'"{client_address(number)}"' for number in range(CLIENTS))
    headers = {"Content-Type": content_type, **HTTPS_HEADERS}
    lua_headers = ", ".join(f'["{key}"] = "{value}"' for key, value in headers.items())
    script = RESULTS / f"{name}.lua"
    script.write_text(f"""
local bodies = {{ {lua_bodies} }}
local addresses = {{ {lua_addresses} }}
local requests = {{}}
local i = 0
init = function(args)
  for k, address in ipairs(addresses) do
    local headers = {{ {lua_headers} }}
    headers["X-Forwarded-For"] = address
    requests[k] = wrk.format("POST", "{path}", headers, bodies[(k - 1) % #bodies + 1])
  end
  i = math.random(#requests)
end
request = function()
  i = i % #requests + 1
  return requests[i]
end
""")
    return script


def run_wrk(port: int, script: Path, seconds: int, connections: int) -> dict:
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script),
         f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50_ms": _ms(re.search(r"50%\s+([\d.]+\w+)", output).group(1)),
        "p99_ms": _ms(re.search(r"99%\s+([\d.]+\w+)", output).group(1)),
        "requests": requests,
        "errors": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}[unit]


# -- the database ---------------------------------------------------------------------------

def connect(database_url: str, dbname: str | None = None):
    import psycopg2

    url = urllib.parse.urlparse(database_url)
    return psycopg2.connect(host=url.hostname, port=url.port or 5432, user=url.username,
                            password=url.password, dbname=dbname or url.path.lstrip("/"))


def create_database(database_url: str, *, afresh: bool) -> None:
    """The URL's database, made if missing; afresh: dropped first if it exists."""
    name = urllib.parse.urlparse(database_url).path.lstrip("/")
    server = connect(database_url, "postgres")
    server.autocommit = True
    try:
        with server.cursor() as cursor:
            if afresh:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        server.close()


def run_release(env: dict) -> None:
    """The Procfile's release phase (migrate, a model version active), as Heroku runs it on a deploy."""
    subprocess.run(["bash", "-c", procfile_command("release")], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)


def stored_api_rows(database) -> int:
    with database.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM predictor_prediction WHERE source = 'api'")
        return cursor.fetchone()[0]


def bare_copy(database, rows: list[dict], version_id: int) -> float:
    """Seconds to COPY the rows into the history table from Python (text format, one
    transaction, committed), as a program that does nothing else would: the database's pace."""
    started = time.perf_counter()
    now = datetime.now(timezone.utc).isoformat()
    buffer = io.StringIO()
    for row in rows:
        count = 1000 + row["temperature"] * 100
        buffer.write(f"{uuid.uuid4()}\t{row['temperature']!r}\t{row['humidity']!r}\t{row['windspeed']!r}\t"
                     f"{count!r}\t{count - 900!r}\t{count + 900!r}\tf\t{version_id}\t{now}\tbatch\n")
    buffer.seek(0)
    with database.cursor() as cursor:
        cursor.copy_expert("COPY predictor_prediction (id, temperature, humidity, windspeed, predicted_count, "
                           "interval_low, interval_high, outside_training_range, model_version_id, created_at, "
                           "source) FROM STDIN", buffer)
    database.commit()
    return time.perf_counter() - started


# -- the measurements -----------------------------------------------------------------------

def prepare_tutorial_app(port: int) -> dict:
    """The tutorial's own environment (Flask, pandas, scikit-learn), its pickled model, the
    buildpack's dyno environment."""
    python = TUTORIAL_VENV / "bin" / "python"
    marker = TUTORIAL_VENV / ".installed"
    requirements = BENCH / "requirements.txt"
    if not marker.exists() or marker.stat().st_mtime < requirements.stat().st_mtime:
        subprocess.run([sys.executable, "-m", "venv", str(TUTORIAL_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "-r", str(requirements)], check=True)
        marker.touch()
    subprocess.run([str(python), str(TUTORIAL / "train_model.py")], cwd=TUTORIAL, check=True,
                   stdout=subprocess.DEVNULL)
    return {**os.environ, **DYNO_ENV, "PATH": f"{python.parent}{os.pathsep}{os.environ['PATH']}",
            "PORT": str(port), "DYNO": "web.1", "OMP_NUM_THREADS": "1"}


def prepare_database(env: dict, admin: bool) -> None:
    create_database(env["DATABASE_URL"], afresh=True)  # a fresh database every run: the history does not grow
    run_release(env)
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
                   cwd=ROOT, env=env, check=True)
    if admin:
        subprocess.run([sys.executable, str(BENCH / "fill_history.py"), str(HISTORY_ROWS), ADMIN_USER,
                        ADMIN_PASSWORD], cwd=ROOT, env=env, check=True)


def measure_batches(port: int, database, count: int = 5) -> dict:
    """Rows per second of a 10,000-row batch end to end (request sent to answer read), and of a
    bare COPY of the same rows, alternately."""
    with database.cursor() as cursor:
        cursor.execute("SELECT id FROM predictor_modelversion WHERE is_active")
        version_id = cursor.fetchone()[0]
    service, copy = [], []
    for number in range(count):
        rows = sample_inputs(BATCH_ROWS, seed=number)
        body = json.dumps({"inputs": rows}).encode()
        started = time.perf_counter()
        status, answer, _ = request(port, "POST", "/api/v1/predictions/batch", body, {"Content-Type": "application/json"})
        elapsed = time.perf_counter() - started
        if status != 201 or len(json.loads(answer)["predictions"]) != BATCH_ROWS:
            raise SystemExit(f"batch failed: {status} {answer[:300]!r}")
        service.append(BATCH_ROWS / elapsed)
        copy.append(BATCH_ROWS / bare_copy(database, rows, version_id))
    return {"service": service, "copy": copy}


def measure_model_call(env: dict) -> dict:
    output = subprocess.run([sys.executable, str(BENCH / "model_call.py")], cwd=ROOT, env=env,
                            capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def measure_admin(port: int) -> list[float]:
    """Milliseconds to answer the admin history list (logged in as staff), 1,000,000+ rows."""
    return timed_get(port, "/admin/predictor/prediction/", admin_session(port), repeat=5)


def timed_get(port: int, path: str, cookie: str, repeat: int) -> list[float]:
    """Milliseconds to answer GET path with the cookie, repeat times, after two loads that warm the
    worker's caches."""
    timings = []
    for number in range(repeat + 2):
        started = time.perf_counter()
        status, body, _ = request(port, "GET", path, headers={"Cookie": cookie})
        if status != 200:
            raise SystemExit(f"GET {path} answered {status}: {body[:300]!r}")
        if number >= 2:  # the first two warm the worker's caches
            timings.append((time.perf_counter() - started) * 1e3)
    return timings


def admin_session(port: int) -> str:
    status, body, response = request(port, "GET", "/admin/login/")
    csrf_cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie") or "").group(1)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
    origin = f"https://127.0.0.1:{port}"
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": ADMIN_USER,
                                   "password": ADMIN_PASSWORD, "next": "/admin/"}).encode()
    status, _, response = request(port, "POST", "/admin/login/", form, {
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={csrf_cookie}",
        "Origin": origin, "Referer": origin + "/admin/login/"})
    session = re.search(r"sessionid=([^;]+)", response.getheader("Set-Cookie") or "")
    if status != 302 or not session:
        raise SystemExit(f"admin login failed ({status})")
    return f"sessionid={session.group(1)}; csrftoken={csrf_cookie}"


def parse_variant(text: str) -> tuple[str, dict]:
    """"label:NAME=value,NAME=value" -> (label, {NAME: value})."""
    label, _, assignments = text.partition(":")
    return label, dict(item.split("=", 1) for item in assignments.split(",") if item)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="duration of each wrk run")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds of the apps")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--variant", action="append", default=[], metavar="LABEL:NAME=value,...",
                        help="lab run: also serve the service with these environment overrides, alternating")
    parser.add_argument("--admin", action="store_true",
                        help=f"also fill {HISTORY_ROWS:,} history rows and time the admin history list")
    parser.add_argument("--skip-batches", action="store_true")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    RESULTS.mkdir(exist_ok=True)
    load_before = os.getloadavg()[0]
    with bench_database_url("BENCH_DATABASE_URL", "bikesite_bench") as database_url:
        run_bench(args, database_url, load_before)


@contextlib.contextmanager
def bench_database_url(variable: str, name: str):
    """The database the environment variable names, or one on a throwaway PostgreSQL cluster with
    SSL (with DYNO set the app requires SSL, as Heroku Postgres does), removed afterwards."""
    database_url = os.environ.get(variable)
    if database_url:
        yield database_url
        return
    from tests.harness.postgres import ThrowawayPostgres

    # Each app's workers hold a connection per thread (and one for the rate-limit sync).
    cluster = ThrowawayPostgres(free_port(), max_connections=300, ssl=True).init()
    cluster.start()
    try:
        yield cluster.url(name)
    finally:
        cluster.destroy()


def run_bench(args, database_url: str, load_before: float) -> None:
    service_port, tutorial_port = free_port(), free_port()  # the system's choice, at the start of the run
    env = service_env(database_url, service_port)
    print("preparing: a fresh database, the release phase, static files and the tutorial's "
          "environment (first run only) ...", flush=True)
    prepare_database(env, args.admin)
    tutorial_env = prepare_tutorial_app(tutorial_port)

    apps = {"tutorial": {"port": tutorial_port, "env": tutorial_env, "command": "gunicorn app:app", "cwd": TUTORIAL}}
    apps["service"] = {"port": service_port, "env": env, "command": procfile_command("web"), "cwd": ROOT}
    floor_port = free_port()
    apps["floor"] = {"port": floor_port, "env": service_env(database_url, floor_port), "cwd": ROOT,
                     "command": FLOOR_COMMAND}
    for text in args.variant:
        label, overrides = parse_variant(text)
        port = free_port()
        apps[f"lab: {label}"] = {"port": port, "env": service_env(database_url, port, overrides),
                                 "command": overrides.pop("COMMAND", procfile_command("web")), "cwd": ROOT}
    processes = {}
    try:
        for name, app in apps.items():
            started = time.monotonic()
            processes[name] = start(app["command"], cwd=app["cwd"], env=app["env"],
                                    log=RESULTS / f"{name.replace(': ', '-').replace(' ', '_')}.log")
            send = form_post if name == "tutorial" else api_post
            app["boot_s"] = wait_for_first_answer(app["port"], send, started)
        database = connect(database_url)
        figures = run_all(args, apps, processes, database)
        if args.admin:
            figures["admin"] = measure_admin(service_port)
    finally:
        for process in processes.values():
            stop(process)
    report(figures, apps, args, load_before)


def run_all(args, apps: dict, processes: dict, database) -> dict:
    service_port = apps["service"]["port"]
    bodies = sample_inputs(256, seed=1)
    api_script = wrk_script("api", "/api/v1/predictions", "application/json", [json.dumps(b) for b in bodies])
    form_script = wrk_script("form", "/", "application/x-www-form-urlencoded",
                             [urllib.parse.urlencode(b) for b in bodies])
    scripts = {name: form_script if name == "tutorial" else api_script for name in apps}
    for name, app in apps.items():
        run_wrk(app["port"], scripts[name], 3, args.connections)  # warm up
    runs = {name: [] for name in apps}
    stored = {name: 0 for name in apps}
    answered = {name: 0 for name in apps}
    order = list(apps)
    for number in range(1, args.rounds + 1):
        print(f"round {number}/{args.rounds}: {', '.join(order)}; {args.seconds} s each", flush=True)
        for name in order:
            before = stored_api_rows(database)
            run = run_wrk(apps[name]["port"], scripts[name], args.seconds, args.connections)
            time.sleep(0.2)  # requests in flight when wrk stopped finish
            runs[name].append(run)
            if name != "tutorial":
                stored[name] += stored_api_rows(database) - before
                answered[name] += run["requests"] - run["errors"]
        order.reverse()  # A B, then B A: drift over the sitting weighs on both alike
    served = sum(run["requests"] for run in runs["service"])
    while served < 10_000:  # memory is judged after at least 10,000 requests
        served += run_wrk(service_port, api_script, max(5, args.seconds), args.connections)["requests"]
    figures = {"runs": runs, "stored": stored, "answered": answered, "served": served,
               "rss": {name: worker_rss_mb(processes[name]) for name in apps}}
    if not args.skip_batches:
        print("batches and bare COPY, alternately ...", flush=True)
        figures["batch"] = {name: measure_batches(app["port"], database) for name, app in apps.items()
                            if name not in ("tutorial", "floor")}
    figures["model"] = measure_model_call(apps["service"]["env"])
    return figures


def report(figures: dict, apps: dict, args, load_before: float) -> None:
    runs = figures["runs"]
    tutorial = runs["tutorial"]
    median = statistics.median
    lines = ["| measurement | figure | target |", "| --- | ---: | --- |"]
    for name in apps:
        rps = ", ".join(f"{run['rps']:.0f}" for run in runs[name])
        p99 = ", ".join(f"{run['p99_ms']:.0f}" for run in runs[name])
        problems = "".join(_errors(run) for run in runs[name])
        lines.append(f"| {name}: req/s by round (p99 ms) | {rps} ({p99}){problems} | |")
    for name in apps:
        if name in ("tutorial", "floor"):
            continue
        # Each round's ratio against the tutorial's and the floor's runs next to it; their medians.
        ratios = [run["rps"] / base["rps"] for run, base in zip(runs[name], tutorial)]
        to_floor = [run["rps"] / base["rps"] for run, base in zip(runs[name], runs["floor"])]
        service = name == "service"
        lines.append(f"| {name}: throughput ratio to the tutorial, median of rounds (range) | "
                     f"**{median(ratios):.2f}x** ({min(ratios):.2f}-{max(ratios):.2f}) | "
                     f"{'>= 1.3x (aim 1.5x)' if service else 'lab'} |")
        lines.append(f"| {name}: throughput ratio to the floor, by round; median | "
                     f"{', '.join(f'{ratio:.2f}' for ratio in to_floor)}; **{median(to_floor):.2f}** | "
                     f"{'>= 0.70 (aim 0.80)' if service else 'lab'} |")
        lines.append(f"| {name}: p99 median of rounds, vs the tutorial's | "
                     f"{median(r['p99_ms'] for r in runs[name]):.1f} ms vs {median(r['p99_ms'] for r in tutorial):.1f} ms"
                     f" | {'no worse' if service else 'lab'} |")
        lines.append(f"| {name}: rows stored vs 2xx answers (difference: requests in flight when wrk stopped) | "
                     f"{figures['stored'][name]:,} vs {figures['answered'][name]:,} | equal (up to {args.connections} a run) |")
    for name, measured in figures.get("batch", {}).items():
        batch, copy = measured["service"], measured["copy"]
        label = "" if name == "service" else f"{name}: "
        lines += [
            f"| {label}batch of {BATCH_ROWS:,} rows, end to end, rows/s (median) | {median(batch):,.0f} | |",
            f"| {label}bare COPY of the same rows from Python, same run, rows/s (median) | {median(copy):,.0f} | |",
            f"| {label}batch / bare COPY | **{median(batch) / median(copy):.2f}** | "
            f"{'>= 0.50' if name == 'service' else 'lab'} |",
        ]
    model = figures["model"]
    lines += [
        f"| model call, one row, median (numpy evaluator: {model['evaluator']}; XGBoost inplace_predict) | "
        f"{model['service_us']['median']:.1f} µs ({model['xgboost_us']['median']:.0f} µs) | <= 30 µs |",
        f"| service worker RSS after {figures['served']:,} requests (MB) | "
        f"{', '.join(f'{size:.0f}' for size in figures['rss']['service'])} | <= 100 |",
        f"| boot: start to first prediction answered | {apps['service']['boot_s']:.2f} s | <= 2 s |",
    ]
    if "admin" in figures:
        lines.append(f"| admin history list, {HISTORY_ROWS:,}+ rows (median; worst) | "
                     f"{median(figures['admin']):.0f} ms; {max(figures['admin']):.0f} ms | <= 300 ms |")
    header = (f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; production configuration"
              f"{' (plus lab variants: ' + ', '.join(args.variant) + ')' if args.variant else ''}; "
              f"wrk -t2 -c{args.connections}, {args.seconds} s per run, {args.rounds} alternating rounds; "
              f"{os.cpu_count()} cores; load average before the run: {load_before:.1f}")
    table = "\n".join([header, "", *lines])
    print("\n" + table)
    (RESULTS / "latest.md").write_text(table + "\n")
    # The raw figures too, to compare runs of one sitting (medians over runs of an A/B).
    (RESULTS / f"{datetime.now(timezone.utc):%Y%m%d-%H%M%S}.json").write_text(json.dumps(
        {"header": header, "runs": runs, "batch": figures.get("batch", {})}, indent=1))


def _errors(run: dict) -> str:
    problems = [f"{run['errors']} non-2xx"] if run["errors"] else []
    if run["socket_errors"]:
        problems.append(f"socket errors: {run['socket_errors']}")
    return f" [{'; '.join(problems)}]" if problems else ""


if __name__ == "__main__":
    main()
