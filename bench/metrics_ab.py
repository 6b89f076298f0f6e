"""The cost of metrics: the production web process with metrics on (METRICS_TOKEN set) and off,
side by side, throughput of one API prediction, in alternating wrk runs.

    .venv/bin/python bench/metrics_ab.py [--seconds 15] [--rounds 4]

Uses bench/run.py's processes, wrk script and environment (DYNO set, WEB_CONCURRENCY=2, the
Procfile's web line) on a database of its own (METRICS_BENCH_DATABASE_URL). Both servers run at
once on two ports; only the one under load uses the CPU. Each round measures both, in
alternating order, and reports the median of the per-round ratios on / off of two figures:
throughput, and the CPU the gunicorn workers spent per request (from /proc). On a machine shared
with other work throughput swings with everyone else's load; CPU per request much less, and on a
machine of its own throughput follows it.
"""
import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402  (bench/run.py)

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/bikesite_metrics_bench"
PORTS = {"on": 8611, "off": 8612}


def workers_cpu_seconds(master) -> float:
    """user + system CPU time of the gunicorn master's children (the workers) so far."""
    total = 0
    for pid in Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split():
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    run.RESULTS.mkdir(exist_ok=True)
    base = run.service_env(os.environ.get("METRICS_BENCH_DATABASE_URL", DEFAULT_DB))
    base.pop("METRICS_TOKEN", None)
    run._create_database_if_missing(base["DATABASE_URL"])
    run.subprocess.run(["bash", "-c", run.procfile_command("release")], cwd=run.ROOT, env=base, check=True,
                       stdout=run.subprocess.DEVNULL)
    run.subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
                       cwd=run.ROOT, env=base, check=True)
    envs = {"on": {**base, "PORT": str(PORTS["on"]), "METRICS_TOKEN": "bench-metrics-token"},
            "off": {**base, "PORT": str(PORTS["off"])}}
    servers = {}
    try:
        for mode, env in envs.items():
            servers[mode] = run.start(run.procfile_command("web"), cwd=run.ROOT, env=env,
                                      log=run.RESULTS / f"metrics-{mode}.log")
            run.wait_for_first_answer(PORTS[mode], run.api_post, time.monotonic())
        bodies = [json.dumps(b) for b in run.sample_inputs(256, seed=1)]
        script = run.wrk_script("metrics-ab", "/api/v1/predictions", "application/json", bodies)
        for mode in envs:
            run.run_wrk(PORTS[mode], script, 3, args.connections)  # warm up
        results = {"on": [], "off": []}
        for number in range(args.rounds):
            order = ("on", "off") if number % 2 == 0 else ("off", "on")
            for mode in order:
                cpu_before = workers_cpu_seconds(servers[mode])
                result = run.run_wrk(PORTS[mode], script, args.seconds, args.connections)
                result["cpu_ms"] = (workers_cpu_seconds(servers[mode]) - cpu_before) / result["requests"] * 1000
                results[mode].append(result)
            print(f"round {number + 1}: on {results['on'][-1]['rps']:.0f} req/s "
                  f"{results['on'][-1]['cpu_ms']:.3f} ms CPU/request, off {results['off'][-1]['rps']:.0f} req/s "
                  f"{results['off'][-1]['cpu_ms']:.3f} ms CPU/request", flush=True)
        scrape = run.request(PORTS["on"], "GET", "/metrics",
                             headers={"Authorization": "Bearer bench-metrics-token"})
        served = sum(float(line.rsplit(" ", 1)[1]) for line in scrape[1].decode().splitlines()
                     if line.startswith("bikesite_predictions_total{"))
    finally:
        for server in servers.values():
            run.stop(server)
    ratios = [on["rps"] / off["rps"] for on, off in zip(results["on"], results["off"])]
    errors = sum(r["errors"] for mode in results for r in results[mode])
    on_requests = sum(r["requests"] for r in results["on"])
    print(f"\nmetrics on : median {statistics.median(r['rps'] for r in results['on']):.0f} req/s, "
          f"p99 median {statistics.median(r['p99_ms'] for r in results['on']):.1f} ms")
    print(f"metrics off: median {statistics.median(r['rps'] for r in results['off']):.0f} req/s, "
          f"p99 median {statistics.median(r['p99_ms'] for r in results['off']):.1f} ms")
    print(f"throughput ratio on/off per round: {', '.join(f'{r:.3f}' for r in ratios)}; "
          f"median {statistics.median(ratios):.3f}")
    cpu = [on["cpu_ms"] / off["cpu_ms"] for on, off in zip(results["on"], results["off"])]
    print(f"workers' CPU per request: on {statistics.median(r['cpu_ms'] for r in results['on']):.3f} ms, "
          f"off {statistics.median(r['cpu_ms'] for r in results['off']):.3f} ms; ratio on/off per round: "
          f"{', '.join(f'{r:.3f}' for r in cpu)}; median {statistics.median(cpu):.3f}")
    print(f"non-2xx answers: {errors}; predictions counted by /metrics: {served:.0f} "
          f"(wrk answers in the measured runs with metrics on: {on_requests}, plus warm-up and boot)")


if __name__ == "__main__":
    main()
