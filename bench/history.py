"""The history at ten million rows: every figure of its targets, measured on the production web process.

    .venv/bin/python bench/history.py [--rows 10000000] [--days 400]

Uses the database BENCH_HISTORY_DATABASE_URL names (created if missing; the rows stay, ~2 GB at
10M rows, so a second run skips the fill; it must accept SSL, which the app requires with DYNO
set), or else a throwaway PostgreSQL cluster with SSL, filled afresh and removed afterwards. It runs the release phase, fills the history with
SQL (generate_series straight into the table, time-ordered over --days days, as a restore or a
bulk load adds rows; then summarize_history, as after any bulk load), starts the Procfile's web
process as bench/run.py does (DYNO set, WEB_CONCURRENCY=2), and prints:
bytes per row; the admin history list (first page, by source, one week, search by one id) and
the dashboard's 365 days over HTTP as a logged-in staff user, with the dashboard's total checked
against a SQL count; export_history against a bare COPY piped into gzip; and prune_history of the
oldest days while wrk keeps POSTing predictions (p99 and errors, beside a run without pruning).
"""
import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402  (bench/run.py: the service as Heroku runs it, wrk, admin login)

ROOT = run.ROOT

FILL = """
INSERT INTO predictor_prediction (id, temperature, humidity, windspeed, predicted_count, interval_low,
    interval_high, outside_training_range, model_version_id, created_at, source)
SELECT (lpad(to_hex((extract(epoch FROM ts) * 1000)::bigint), 12, '0') || '7' || substr(r, 1, 3) || '8'
        || substr(r, 4, 15))::uuid,
       t, h, w, c, greatest(0, c - 900), c + 900, t > 32 OR w > 34, %(version)s, ts,
       (ARRAY['form', 'api', 'batch'])[1 + (g %% 3)]
FROM (SELECT g, now() - %(days)s * interval '1 day' + g * (%(days)s * interval '1 day' / %(rows)s) AS ts,
             md5(random()::text) AS r,
             round((15 + 30 * (random() - 0.5))::numeric, 1)::float8 AS t,
             round((30 + 70 * random())::numeric, 1)::float8 AS h,
             round((40 * random())::numeric, 1)::float8 AS w,
             4000 * random() AS c
      FROM generate_series(1, %(rows)s) AS g) AS s
"""


def sql(env: dict, query: str, params=None):
    connection = run.connect(env["DATABASE_URL"])
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(query, params)
            return cursor.fetchall() if cursor.description else None
    finally:
        connection.close()


def manage(env: dict, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, **kwargs)


def prepare(env: dict, rows: int, days: int) -> None:
    run.create_database(env["DATABASE_URL"], afresh=False)  # the rows stay from run to run
    started = time.perf_counter()
    run.run_release(env)
    print(f"release: {time.perf_counter() - started:.1f} s (with the existing history)", flush=True)
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    subprocess.run([sys.executable, str(run.BENCH / "fill_history.py"), "0", run.ADMIN_USER, run.ADMIN_PASSWORD],
                   cwd=ROOT, env=env, check=True)
    have = sql(env, "SELECT count(*) FROM predictor_prediction")[0][0]
    if have < rows:
        version = sql(env, "SELECT id FROM predictor_modelversion WHERE is_active")[0][0]
        print(f"adding {rows - have:,} rows over {days} days with SQL ...", flush=True)
        started = time.perf_counter()
        sql(env, FILL, {"version": version, "days": days, "rows": rows - have})
        sql(env, "VACUUM ANALYZE predictor_prediction")
        print(f"  {time.perf_counter() - started:.0f} s", flush=True)
        started = time.perf_counter()
        manage(env, "summarize_history", stdout=subprocess.DEVNULL)
        print(f"summarize_history after the bulk load: {time.perf_counter() - started:.1f} s", flush=True)


def storage(env: dict) -> dict:
    (rows,), = sql(env, "SELECT count(*) FROM predictor_prediction")
    (total, heap), = sql(env, "SELECT pg_total_relation_size('predictor_prediction'), "
                              "pg_relation_size('predictor_prediction')")
    indexes = sql(env, "SELECT indexrelid::regclass::text, pg_relation_size(indexrelid) FROM pg_index "
                       "WHERE indrelid = 'predictor_prediction'::regclass ORDER BY 2 DESC")
    summary = sql(env, "SELECT pg_total_relation_size('predictor_predictionday')")[0][0]
    return {"rows": rows, "total": total, "heap": heap, "indexes": indexes, "summary": summary}


def admin_pages(env: dict, port: int, repeat: int) -> list[tuple[str, list[float]]]:
    cookie = run.admin_session(port)
    (middle_id, middle_day), = sql(env, "SELECT id, (created_at AT TIME ZONE 'UTC')::date FROM predictor_prediction "
                                        "ORDER BY created_at OFFSET (SELECT count(*) / 2 FROM predictor_prediction) "
                                        "LIMIT 1")
    # as the admin's date filter writes its links
    week = {"created_at__gte": f"{middle_day - dt.timedelta(days=7)} 00:00:00+00:00",
            "created_at__lt": f"{middle_day} 00:00:00+00:00"}
    pages = [
        ("admin index page (reads no history: the machine's baseline)", "/admin/"),
        ("admin list, first page", "/admin/predictor/prediction/"),
        ("admin list, filtered by source (batch)", "/admin/predictor/prediction/?source__exact=batch"),
        ("admin list, one week (date range)", "/admin/predictor/prediction/?" + urllib.parse.urlencode(week)),
        ("admin list, search by one prediction's id", f"/admin/predictor/prediction/?q={middle_id}"),
        ("dashboard ?days=365", "/admin/predictor/prediction/dashboard/?days=365"),
        ("dashboard ?days=7 (for comparison)", "/admin/predictor/prediction/dashboard/?days=7"),
    ]
    return [(label, run.timed_get(port, path, cookie, repeat)) for label, path in pages]


def dashboard_exact(env: dict) -> tuple[int, int]:
    """The dashboard's 365-day total, and a SQL count of the same window."""
    code = ("from predictor.history import dashboard; p = dashboard.Period.last(365); s, e = p.bounds(); "
            "from predictor.models import Prediction; "
            "print(dashboard.history_summary(p).total, "
            "Prediction.objects.filter(created_at__gte=s, created_at__lt=e).count())")
    out = manage(env, "shell", "-c", code, capture_output=True, text=True).stdout.split()
    return int(out[-2]), int(out[-1])


def export_rates(env: dict, days: int, rounds: int) -> dict:
    (last,), = sql(env, "SELECT (max(created_at) AT TIME ZONE 'UTC')::date - 2 FROM predictor_prediction")
    since, until = last - dt.timedelta(days=days - 1), last
    (rows,), = sql(env, "SELECT count(*) FROM predictor_prediction WHERE created_at >= %s AND created_at < %s",
                   [since, until + dt.timedelta(days=1)])
    copy = (f"COPY (SELECT * FROM predictor_prediction WHERE created_at >= '{since}' "
            f"AND created_at < '{until + dt.timedelta(days=1)}') TO STDOUT")
    url = env["DATABASE_URL"]
    ours, bare = [], []
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(rounds):
            started = time.perf_counter()
            subprocess.run(["bash", "-c", f'psql "{url}" -c "{copy}" | gzip > {folder}/bare.gz'], check=True)
            bare.append(rows / (time.perf_counter() - started))
            started = time.perf_counter()
            manage(env, "export_history", "--since", str(since), "--until", str(until),
                   "--output", f"{folder}/ours.csv.gz", stderr=subprocess.DEVNULL)
            ours.append(rows / (time.perf_counter() - started))
        sizes = (Path(folder, "ours.csv.gz").stat().st_size, Path(folder, "bare.gz").stat().st_size)
    return {"rows": rows, "days": days, "ours": ours, "bare": bare, "sizes": sizes}


def prune_under_load(env: dict, port: int, days: int, seconds: int) -> dict:
    (oldest,), = sql(env, "SELECT (min(created_at) AT TIME ZONE 'UTC')::date FROM predictor_prediction")
    before = oldest + dt.timedelta(days=days)
    (doomed,), = sql(env, "SELECT count(*) FROM predictor_prediction WHERE created_at < %s", [before])
    bodies = [json.dumps(body) for body in run.sample_inputs(256, seed=2)]
    script = run.wrk_script("history_api", "/api/v1/predictions", "application/json", bodies)
    run.run_wrk(port, script, 3, 16)  # warm up
    baseline = run.run_wrk(port, script, seconds, 16)
    outcome = {}

    def prune():
        time.sleep(2)
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as folder:
            done = manage(env, "prune_history", "--before", str(before), "--archive", f"{folder}/archive.csv.gz",
                          capture_output=True, text=True)
        outcome.update(seconds=time.perf_counter() - started, report=done.stdout.strip())

    pruning = threading.Thread(target=prune)
    pruning.start()
    loaded = run.run_wrk(port, script, seconds, 16)
    pruning.join()
    return {"before": before, "doomed": doomed, "baseline": baseline, "loaded": loaded, **outcome}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=400, help="the history's span when filling")
    parser.add_argument("--repeat", type=int, default=7, help="timed loads of each admin page")
    parser.add_argument("--export-days", type=int, default=60)
    parser.add_argument("--prune-days", type=int, default=3, help="prune this many of the oldest days")
    parser.add_argument("--prune-seconds", type=int, default=40, help="wrk run during the prune")
    args = parser.parse_args()
    run.RESULTS.mkdir(exist_ok=True)
    with run.bench_database_url("BENCH_HISTORY_DATABASE_URL", "bikesite_history_bench") as database_url:
        port = run.free_port()
        measure(run.service_env(database_url, port), port, args)


def measure(env: dict, port: int, args) -> None:
    prepare(env, args.rows, args.days)
    figures = {"storage": storage(env)}
    service = run.start(run.procfile_command("web"), cwd=ROOT, env=env, log=run.RESULTS / "history-service.log")
    try:
        run.wait_for_first_answer(port, run.api_post, time.monotonic())
        figures["pages"] = admin_pages(env, port, args.repeat)
        figures["exact"] = dashboard_exact(env)
        figures["export"] = export_rates(env, args.export_days, rounds=2)
        figures["prune"] = prune_under_load(env, port, args.prune_days, args.prune_seconds)
        figures["exact_after_prune"] = dashboard_exact(env)
    finally:
        run.stop(service)
    report(figures, args)


def report(figures: dict, args) -> None:
    store = figures["storage"]
    lines = [f"history: {store['rows']:,} rows; {os.cpu_count()} cores shared, load average "
             f"{os.getloadavg()[0]:.1f}; web process as bench/run.py starts it (DYNO set, 2 workers)", "",
             "| measurement | figure | target |", "| --- | ---: | --- |",
             f"| bytes per row, table + indexes + TOAST | {store['total'] / store['rows']:.0f} "
             f"({store['total'] / 2**20:,.0f} MB) | <= 200 |",
             f"| of which the table itself | {store['heap'] / store['rows']:.0f} | |"]
    for name, size in store["indexes"]:
        lines.append(f"| of which index {name} | {size / store['rows']:.1f} | |")
    lines.append(f"| daily summary table (predictor_predictionday) | {store['summary'] / 1024:,.0f} kB | |")
    for label, timings in figures["pages"]:
        lines.append(f"| {label} (median; worst of {len(timings)}) | {statistics.median(timings):.0f} ms; "
                     f"{max(timings):.0f} ms | <= 300 ms |")
    for key, when in (("exact", "before"), ("exact_after_prune", "after")):
        shown, counted = figures[key]
        lines.append(f"| dashboard 365-day total vs SQL count, {when} the prune | {shown:,} vs {counted:,} "
                     f"({'equal' if shown == counted else 'DIFFERENT'}) | equal |")
    export = figures["export"]
    ratio = max(export["ours"]) / max(export["bare"])
    lines += [
        f"| export_history .gz, {export['days']} days = {export['rows']:,} rows, rows/s (best of "
        f"{len(export['ours'])}) | {max(export['ours']):,.0f} ({export['sizes'][0] / 2**20:.0f} MB) | |",
        f"| bare COPY (SELECT *) TO STDOUT piped into gzip, rows/s (best) | {max(export['bare']):,.0f} "
        f"({export['sizes'][1] / 2**20:.0f} MB) | |",
        f"| export rate vs bare COPY + gzip | {ratio:.0%} | >= 50 % |",
    ]
    prune = figures["prune"]
    for label, key in (("without pruning", "baseline"), ("while prune_history runs", "loaded")):
        result = prune[key]
        lines.append(f"| POST /api/v1/predictions, wrk -c16 {args.prune_seconds} s, {label}: p99 (req/s, "
                     f"non-2xx) | {result['p99_ms']:.0f} ms ({result['rps']:.0f}, {result['errors']}) | <= 250 ms |")
    lines.append(f"| prune_history --archive of {prune['doomed']:,} rows before {prune['before']} | "
                 f"{prune.get('seconds', float('nan')):.1f} s | |")
    table = "\n".join(lines)
    print("\n" + table + "\n\n" + prune.get("report", ""))
    (run.RESULTS / "history.md").write_text(table + "\n")


if __name__ == "__main__":
    main()
