"""The Procfile's web command as a dyno runs it: with the Python buildpack's environment."""
import http.client
import os
import shlex
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.procfile import BUILDPACK_ENV, procfile_command
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[1]


def probe_answered(port: int) -> bool:
    """One request to /probe-path answered 200; False while nothing listens yet."""
    try:
        client = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        client.request("GET", "/probe-path", headers={"X-Request-ID": "req-123"})
        assert client.getresponse().status == 200
        client.close()
    except OSError:
        return False
    return True


def serve_and_log(extra_env: dict, requests: int = 5) -> str:
    """Run the Procfile's web command (with a tiny app in place of the site), send requests; its output."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = procfile_command("web").replace("bikesite.wsgi", "pid_app:application")
    command += f" --bind 127.0.0.1:{port} --pythonpath {shlex.quote(str(ROOT / 'tests' / 'gunicorn_app'))}"
    env = {**os.environ, **BUILDPACK_ENV, "DYNO": "web.1", "WEB_CONCURRENCY": "1",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", **extra_env}
    server = subprocess.Popen(["bash", "-c", command], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        for _ in range(requests):
            wait_until(lambda: probe_answered(port), 30, "the web command did not answer")
    finally:
        os.killpg(server.pid, 15)
        output, _ = server.communicate(timeout=30)
    return output


def test_on_a_dyno_gunicorn_writes_no_access_log_of_its_own_despite_the_buildpack():
    # Heroku's router logs every request with its id; the buildpack's GUNICORN_CMD_ARGS would
    # otherwise win over gunicorn.conf.py (gunicorn applies it after the config file).
    assert "/probe-path" not in serve_and_log({})


def test_access_log_1_turns_it_on_with_the_request_id():
    output = serve_and_log({"ACCESS_LOG": "1"})
    assert "/probe-path" in output and "request_id=req-123" in output


@pytest.mark.parametrize("value", ["--access-logfile -", "--access-logfile - --workers 3"])
def test_without_the_procfiles_env_u_the_buildpack_would_win(value):
    # The guard on what the Procfile works around: gunicorn applies GUNICORN_CMD_ARGS over the
    # config file. If a gunicorn release stops doing so, this fails and `env -u` can go.
    env = {**os.environ, "GUNICORN_CMD_ARGS": value, "DYNO": "web.1"}
    env.pop("ACCESS_LOG", None)
    code = ("import sys; from gunicorn.app.wsgiapp import WSGIApplication;"
            "sys.argv = ['gunicorn', '--config', 'gunicorn.conf.py', 'bikesite.wsgi'];"
            "app = WSGIApplication(); print(repr(app.cfg.accesslog))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.strip().splitlines()[-1] == "'-'", result.stderr
