"""The Procfile's process lines, read as Heroku reads them ("name: command"): for the harness
(tests/harness/web.py), the tests of the web command and the benchmark (bench/run.py)."""
from pathlib import Path

PROCFILE = Path(__file__).resolve().parents[1] / "Procfile"


def procfile_command(process: str) -> str:
    """The command of the Procfile's `process` line (web, release)."""
    for line in PROCFILE.read_text().splitlines():
        name, _, command = line.partition(":")
        if name.strip() == process:
            return command.strip()
    raise LookupError(f"no {process} process in the Procfile")
