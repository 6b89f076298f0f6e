"""The web process as Heroku runs it: the Procfile's release line once, then its web line
(gunicorn with gunicorn.conf.py), bound to loopback on a port of the tests' choosing.
"""
import os
import shlex
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.procfile import procfile_command
from tests.waiting import wait_until

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def free_port(candidates: range | None = None) -> int:
    """A port nobody listens on now: the first free one of candidates, or else one the system picks
    (other test runs and benchmarks may share the machine)."""
    for port in [0] if candidates is None else candidates:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise RuntimeError(f"no free port in {candidates}")


def production_env(database_url: str, **overrides: str) -> dict[str, str]:
    """The environment of a dyno: production settings (not the test settings), our database.

    CI goes too: a dyno has no CI variable, and with it set the settings take Heroku CI's side."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"DJANGO_SETTINGS_MODULE", "DYNO", "DEBUG", "ADMIN_URL", "CI"}}
    env.update(PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}", DATABASE_URL=database_url,
               PYTHONUNBUFFERED="1", **overrides)
    return env


def run_release(database_url: str) -> None:
    subprocess.run(["bash", "-c", procfile_command("release")], cwd=REPO, env=production_env(database_url),
                   check=True, capture_output=True, timeout=300)


def collectstatic() -> None:
    """What the Heroku buildpack does at build time; the manifest storage needs it."""
    subprocess.run([str(VENV_BIN / "python"), "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
                   cwd=REPO, env=production_env("sqlite://:memory:"), check=True, capture_output=True, timeout=300)


def manage(database_url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV_BIN / "python"), "manage.py", *args], cwd=REPO, env=production_env(database_url),
                          check=True, capture_output=True, text=True, timeout=120)


class WebProcess:
    """One gunicorn master (a dyno) and its workers."""

    def __init__(self, *, port: int, database_url: str, log_path: Path, **env: str):
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        self.env = production_env(database_url, PORT=str(port), **env)
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self, ready_within: float = 60) -> "WebProcess":
        # Loopback only: --bind on the command line overrides the config file's 0.0.0.0.
        command = [*shlex.split(procfile_command("web")), "--bind", f"127.0.0.1:{self.port}"]
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(command, cwd=REPO, env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        wait_until(self._ready, ready_within, f"gunicorn not ready; see {self.log_path}", interval=0.2)
        return self

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {self.log_path}")
        try:
            # As the router forwards it: with DYNO set, plain HTTP would be redirected to HTTPS.
            probe = urllib.request.Request(self.base_url + "/readyz", headers={"X-Forwarded-Proto": "https"})
            with urllib.request.urlopen(probe, timeout=5) as response:
                return response.status == 200
        except OSError:
            return False

    def terminate(self) -> None:
        """SIGTERM to the master, as Heroku sends it."""
        self.process.send_signal(signal.SIGTERM)

    def wait(self, timeout: float) -> int:
        return self.process.wait(timeout=timeout)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        if self.process:
            self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")
