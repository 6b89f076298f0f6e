"""Heroku: the Button's app.json, the Procfile's release phase and gunicorn's settings."""
import json
import os
import runpy
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_app_json_provisions_postgres_and_generates_the_secret_key():
    app = json.loads((ROOT / "app.json").read_text())
    assert len(app["name"]) <= 30 and len(app["description"]) <= 140  # Heroku's schema limits
    assert [addon["plan"].split(":")[0] for addon in app["addons"]] == ["heroku-postgresql"]
    assert app["env"]["SECRET_KEY"] == {**app["env"]["SECRET_KEY"], "generator": "secret"}
    assert int(app["env"]["WEB_CONCURRENCY"]["value"]) >= 1
    assert app["buildpacks"] == [{"url": "heroku/python"}]


def test_every_setting_app_json_offers_is_one_the_settings_read():
    app = json.loads((ROOT / "app.json").read_text())
    read = (ROOT / "bikesite" / "settings.py").read_text() + (ROOT / "bikesite" / "urls.py").read_text() \
        + (ROOT / "gunicorn.conf.py").read_text()
    for name in app["env"]:
        assert f'"{name}"' in read, name


def test_procfile_release_phase_is_the_release_command():
    processes = dict(line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line.strip())
    assert processes["release"] == "python manage.py release"  # migrate + ensure_model, under a lock
    assert processes["web"].startswith("env -u GUNICORN_CMD_ARGS gunicorn bikesite.wsgi --config gunicorn.conf.py")


def test_gunicorn_fits_herokus_router_and_shutdown(monkeypatch):
    monkeypatch.delenv("DYNO", raising=False)
    monkeypatch.delenv("ACCESS_LOG", raising=False)
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.setenv("PORT", "5123")
    # The file sets OMP_NUM_THREADS for the workers; keep that out of this test process.
    monkeypatch.setenv("OMP_NUM_THREADS", os.environ.get("OMP_NUM_THREADS", "1"))
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert conf["workers"] == 3 and conf["bind"] == ["0.0.0.0:5123"]
    assert conf["graceful_timeout"] < 30  # Heroku kills 30 s after SIGTERM
    assert conf["timeout"] <= 30  # the router gives up after 30 s
    assert conf["keepalive"] > 90  # the router's idle timeout is 90 s
    assert conf["accesslog"] == "-" and "x-request-id" in conf["access_log_format"]


def test_gunicorn_access_log_is_left_to_herokus_router_unless_asked_for(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", os.environ.get("OMP_NUM_THREADS", "1"))
    monkeypatch.delenv("ACCESS_LOG", raising=False)
    monkeypatch.setenv("DYNO", "web.1")
    assert runpy.run_path(str(ROOT / "gunicorn.conf.py"))["accesslog"] is None
    monkeypatch.setenv("ACCESS_LOG", "1")
    assert runpy.run_path(str(ROOT / "gunicorn.conf.py"))["accesslog"] == "-"


def test_runtime_txt_and_python_version_pin_the_same_exact_python():
    # Heroku's buildpack reads runtime.txt (first, deprecated); pyenv, uv and others read
    # .python-version. Both must name one exact release.
    runtime = (ROOT / "runtime.txt").read_text().strip()
    python_version = (ROOT / ".python-version").read_text().strip()
    assert runtime.startswith("python-") and runtime.count(".") == 2, runtime
    assert runtime == f"python-{python_version}"


def test_no_npm_manifest_at_the_root_where_heroku_would_detect_nodejs():
    # The Node.js buildpack detects an app by a package.json at the root (app.json pins Python
    # for the Button, a CLI deploy detects). axe-core's manifest lives with the browser tests.
    assert not (ROOT / "package.json").exists()
    assert (ROOT / "tests" / "browser" / "package-lock.json").exists()
