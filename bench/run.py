"""The performance benchmark: the service as Heroku runs it, against the tutorial's Flask app.

    make bench            # or: .venv/bin/python bench/run.py [--seconds 15] [--rounds 2]

Needs PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/bikesite_bench;
the database is created if missing) and wrk (Debian: apt-get install wrk). It runs the release
phase (migrate, ensure_model) and the Procfile's web process with WEB_CONCURRENCY=2 on loopback,
rebuilds the tutorial app (bench/tutorial_app) and serves it as the tutorial does, then measures:
throughput and p99 of one prediction (the two apps alternate, wrk -t2 -c16), the model call,
10,000-row batches, worker memory after 10,000+ requests, boot time, and the admin history list
over 1,000,000 rows. It prints one table and writes it to bench/results/latest.md.
"""
import argparse
import http.client
import json
import os
import random
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
TUTORIAL = BENCH / "tutorial_app"
TUTORIAL_VENV = BENCH / ".venv-tutorial"
VENV_BIN = Path(sys.executable).parent
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/bikesite_bench"
SERVICE_PORT, TUTORIAL_PORT = 8601, 8602
HISTORY_ROWS = 1_000_000
BATCH_ROWS = 10_000
ADMIN_USER, ADMIN_PASSWORD = "bench-admin", "bench-admin-password-not-secret"
HTTPS_HEADERS = {"X-Forwarded-Proto": "https"}  # what Heroku's router adds


# -- processes ------------------------------------------------------------------------------

def service_env(database_url: str) -> dict:
    return {
        **os.environ,
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}",
        "DATABASE_URL": database_url,
        "PORT": str(SERVICE_PORT),
        "WEB_CONCURRENCY": "2",
        "DYNO": "web.1",
        "SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
        "RATELIMIT_ENABLED": "0",
        # Metrics on, as an operator runs it; BENCH_METRICS_TOKEN= (empty) measures without them.
        "METRICS_TOKEN": os.environ.get("BENCH_METRICS_TOKEN", "bench-metrics-token"),
        "PYTHONUNBUFFERED": "1",
    }


def procfile_command(process: str) -> str:
    for line in (ROOT / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        if name.strip() == process:
            return command.strip()
    raise SystemExit(f"Procfile has no {process} process")


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

def wrk_script(name: str, path: str, content_type: str, bodies: list[str]) -> Path:
    """A wrk script that POSTs the given bodies in turn (formatted once, at start)."""
    lua_bodies = ",\n".join(json.dumps(body) for body in bodies)
    headers = {"Content-Type": content_type, **HTTPS_HEADERS}
    lua_headers = ", ".join(f'["{key}"] = "{value}"' for key, value in headers.items())
    script = RESULTS / f"{name}.lua"
    script.write_text(f"""
local bodies = {{ {lua_bodies} }}
local requests = {{}}
local i = 0
init = function(args)
  for k, body in ipairs(bodies) do
    requests[k] = wrk.format("POST", "{path}", {{ {lua_headers} }}, body)
  end
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
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50_ms": _ms(re.search(r"50%\s+([\d.]+\w+)", output).group(1)),
        "p99_ms": _ms(re.search(r"99%\s+([\d.]+\w+)", output).group(1)),
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "errors": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}[unit]


# -- the measurements -----------------------------------------------------------------------

def prepare_tutorial_app() -> dict:
    """The tutorial's own environment (Flask, pandas, scikit-learn), its pickled model, its env."""
    python = TUTORIAL_VENV / "bin" / "python"
    marker = TUTORIAL_VENV / ".installed"
    requirements = BENCH / "requirements.txt"
    if not marker.exists() or marker.stat().st_mtime < requirements.stat().st_mtime:
        subprocess.run([sys.executable, "-m", "venv", str(TUTORIAL_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "-r", str(requirements)], check=True)
        marker.touch()
    subprocess.run([str(python), str(TUTORIAL / "train_model.py")], cwd=TUTORIAL, check=True,
                   stdout=subprocess.DEVNULL)
    return {**os.environ, "PATH": f"{python.parent}{os.pathsep}{os.environ['PATH']}",
            "PORT": str(TUTORIAL_PORT), "WEB_CONCURRENCY": "2", "OMP_NUM_THREADS": "1"}


def prepare_database(env: dict) -> None:
    _create_database_if_missing(env["DATABASE_URL"])
    subprocess.run(["bash", "-c", procfile_command("release")], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
                   cwd=ROOT, env=env, check=True)
    subprocess.run([sys.executable, str(BENCH / "fill_history.py"), str(HISTORY_ROWS), ADMIN_USER, ADMIN_PASSWORD],
                   cwd=ROOT, env=env, check=True)


def _create_database_if_missing(database_url: str) -> None:
    import psycopg2

    url = urllib.parse.urlparse(database_url)
    name = url.path.lstrip("/")
    server = psycopg2.connect(host=url.hostname, port=url.port or 5432, user=url.username,
                              password=url.password, dbname="postgres")
    server.autocommit = True
    with server.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    server.close()


def measure_batches(port: int, count: int = 5) -> list[float]:
    """Rows per second of a 10,000-row batch, end to end (request sent to answer read)."""
    rates = []
    for number in range(count):
        body = json.dumps({"inputs": sample_inputs(BATCH_ROWS, seed=number)}).encode()
        started = time.perf_counter()
        status, body, _ = request(port, "POST", "/api/v1/predictions/batch", body, {"Content-Type": "application/json"})
        elapsed = time.perf_counter() - started
        if status != 201 or len(json.loads(body)["predictions"]) != BATCH_ROWS:
            raise SystemExit(f"batch failed: {status} {body[:300]!r}")
        rates.append(BATCH_ROWS / elapsed)
    return rates


def measure_model_call(env: dict) -> dict:
    output = subprocess.run([sys.executable, str(BENCH / "model_call.py")], cwd=ROOT, env=env,
                            capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def measure_admin(port: int, repeat: int = 7) -> list[float]:
    """Milliseconds to answer the admin history list (logged in as staff), 1,000,000+ rows."""
    session = admin_session(port)
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        status, _, _ = request(port, "GET", "/admin/predictor/prediction/", headers={"Cookie": session})
        timings.append((time.perf_counter() - started) * 1e3)
        if status != 200:
            raise SystemExit(f"admin history answered {status}")
    return timings[2:]  # the first two warm the worker's caches


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=15, help="duration of each wrk run")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds of both apps")
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    RESULTS.mkdir(exist_ok=True)
    load_before = os.getloadavg()[0]
    env = service_env(os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    print("preparing: release phase, static files, 1,000,000 history rows and the tutorial's "
          "environment (first run only) ...", flush=True)
    prepare_database(env)
    tutorial_env = prepare_tutorial_app()

    started = time.monotonic()
    service = start(procfile_command("web"), cwd=ROOT, env=env, log=RESULTS / "service.log")
    tutorial = None
    try:
        boot_s = wait_for_first_answer(SERVICE_PORT, api_post, started)
        tutorial = start("gunicorn app:app", cwd=TUTORIAL, env=tutorial_env, log=RESULTS / "tutorial.log")
        wait_for_first_answer(TUTORIAL_PORT, form_post, time.monotonic())
        figures = run_all(args, env, boot_s, service)
    finally:
        stop(service)
        if tutorial is not None:
            stop(tutorial)
    report(figures, args, load_before)


def run_all(args, env: dict, boot_s: float, service: subprocess.Popen) -> dict:
    bodies = sample_inputs(256, seed=1)
    api_script = wrk_script("api", "/api/v1/predictions", "application/json", [json.dumps(b) for b in bodies])
    form_script = wrk_script("form", "/", "application/x-www-form-urlencoded",
                             [urllib.parse.urlencode(b) for b in bodies])
    for port, script in ((SERVICE_PORT, api_script), (TUTORIAL_PORT, form_script)):
        run_wrk(port, script, 3, args.connections)  # warm up
    rounds, rss_after_first_round = [], None
    for number in range(1, args.rounds + 1):
        print(f"round {number}/{args.rounds}: tutorial, then service, {args.seconds} s each", flush=True)
        tutorial_run = run_wrk(TUTORIAL_PORT, form_script, args.seconds, args.connections)
        service_run = run_wrk(SERVICE_PORT, api_script, args.seconds, args.connections)
        rounds.append((tutorial_run, service_run))
        rss_after_first_round = rss_after_first_round or worker_rss_mb(service)
    served = sum(run["requests"] for _, run in rounds)
    while served < 10_000:  # memory is judged after at least 10,000 requests
        served += run_wrk(SERVICE_PORT, api_script, max(5, args.seconds), args.connections)["requests"]
    rss_after = worker_rss_mb(service)
    print("batches, model call, admin ...", flush=True)
    return {
        "boot_s": boot_s,
        "rounds": rounds,
        "served": served,
        "rss_first": rss_after_first_round,
        "rss_after": rss_after,
        "batch": measure_batches(SERVICE_PORT),
        "model": measure_model_call(env),
        "admin": measure_admin(SERVICE_PORT),
    }


def report(figures: dict, args, load_before: float) -> None:
    rounds = figures["rounds"]
    best_tutorial = max(t["rps"] for t, _ in rounds)
    best_service = max(s["rps"] for _, s in rounds)
    p99_tutorial = min(t["p99_ms"] for t, _ in rounds)
    p99_service = min(s["p99_ms"] for _, s in rounds)
    growth = max(a - w for a, w in zip(figures["rss_after"], figures["rss_first"]))
    model = figures["model"]
    lines = [
        "| measurement | figure | target |",
        "| --- | ---: | --- |",
    ]
    for number, (tutorial, service) in enumerate(rounds, start=1):
        lines.append(f"| round {number}: tutorial Flask app, req/s (p99) | {tutorial['rps']:.0f} "
                     f"({tutorial['p99_ms']:.1f} ms){_errors(tutorial)} | |")
        lines.append(f"| round {number}: POST /api/v1/predictions, req/s (p99) | {service['rps']:.0f} "
                     f"({service['p99_ms']:.1f} ms){_errors(service)} | |")
    lines += [
        f"| throughput ratio, best vs best | {best_service / best_tutorial:.2f}x | >= 1.5x |",
        f"| p99, best of each: service vs tutorial | {p99_service:.1f} ms vs {p99_tutorial:.1f} ms | no worse |",
        f"| model call, one row, best (median) (service; numpy evaluator: {model['evaluator']}) | "
        f"{model['service_us']['best']:.1f} µs ({model['service_us']['median']:.1f} µs) | <= 30 µs |",
        f"| model call, one row, best (median) (XGBoost inplace_predict) | "
        f"{model['xgboost_us']['best']:.0f} µs ({model['xgboost_us']['median']:.0f} µs) | for reference |",
        f"| batch of {BATCH_ROWS:,} rows, end to end, rows/s (median; best) | "
        f"{statistics.median(figures['batch']):,.0f}; {max(figures['batch']):,.0f} | >= 50,000 |",
        f"| worker RSS after {figures['served']:,} requests (MB) | "
        f"{', '.join(f'{size:.0f}' for size in figures['rss_after'])} | <= 100 |",
        f"| worker RSS growth from the end of round 1 to the end (MB) | {growth:+.1f} | none |",
        f"| boot: start to first prediction answered | {figures['boot_s']:.2f} s | <= 2 s |",
        f"| admin history list, {HISTORY_ROWS:,}+ rows (median; worst) | "
        f"{statistics.median(figures['admin']):.0f} ms; {max(figures['admin']):.0f} ms | <= 300 ms |",
    ]
    header = (f"wrk -t2 -c{args.connections}, {args.seconds} s per run, {args.rounds} alternating rounds; "
              f"{os.cpu_count()} cores; load average before the run: {load_before:.1f}")
    table = "\n".join([header, "", *lines])
    print("\n" + table)
    (RESULTS / "latest.md").write_text(table + "\n")


def _errors(run: dict) -> str:
    problems = [f"{run['errors']} non-2xx"] if run["errors"] else []
    if run["socket_errors"]:
        problems.append(f"socket errors: {run['socket_errors']}")
    return f" [{'; '.join(problems)}]" if problems else ""


if __name__ == "__main__":
    main()
