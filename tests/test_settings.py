"""Settings from the environment: production settings pass Django's deployment checks."""
import os
import subprocess
import sys


def manage(*args, **env):
    full_env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG"}}
    full_env.update(env)
    return subprocess.run([sys.executable, "manage.py", *args], env=full_env, capture_output=True, text=True)


def test_production_settings_pass_check_deploy_without_warnings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", DYNO="web.1", SECRET_KEY="k" * 20 + "x9Q#" * 10)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_heroku_refuses_to_start_without_a_secret_key():
    result = manage("check", DYNO="web.1", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY must be set on Heroku" in result.stderr


def test_debug_is_off_unless_set():
    code = "import os; os.environ['DJANGO_SETTINGS_MODULE']='bikesite.settings'; from django.conf import settings; print(settings.DEBUG)"
    env = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    assert subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True).stdout.strip() == "False"
