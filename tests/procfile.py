"""The Procfile's process lines, read as Heroku reads them ("name: command"), and the environment
the Python buildpack gives them on a dyno: for the harness (tests/harness/web.py), the tests of the
web command and the benchmark (bench/run.py)."""
from pathlib import Path

PROCFILE = Path(__file__).resolve().parents[1] / "Procfile"
# What the Python buildpack's .profile.d scripts export on every dyno (vendor/python.gunicorn.sh;
# WEB_CONCURRENCY as vendor/WEB_CONCURRENCY.sh sets it for a 2-core dyno).
BUILDPACK_ENV = {"GUNICORN_CMD_ARGS": "--access-logfile -", "FORWARDED_ALLOW_IPS": "*", "WEB_CONCURRENCY": "2"}


def procfile_command(process: str) -> str:
    """The command of the Procfile's `process` line (web, release)."""
    for line in PROCFILE.read_text().splitlines():
        name, _, command = line.partition(":")
        if name.strip() == process:
            return command.strip()
    raise LookupError(f"no {process} process in the Procfile")
