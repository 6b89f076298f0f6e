"""Settings from the environment: production settings pass Django's deployment checks."""
import os
import subprocess
import sys
from pathlib import Path


def manage(*args, **env):
    # Without CI: a dyno has none, and with it set the settings take Heroku CI's side.
    full_env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG", "CI"}}
    full_env.update(env)
    return subprocess.run([sys.executable, "manage.py", *args], env=full_env, capture_output=True, text=True)


def test_production_settings_pass_check_deploy_without_warnings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", DYNO="web.1", SECRET_KEY="k" * 20 + "x9Q#" * 10,
                    DATABASE_URL="postgres://u:p@db.example:5432/x")
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


HEROKU_SECRET = "kQ#x9" * 12
NO_DATABASE_URL = {"DATABASE_URL": ""}


def heroku_env(**env):
    """A dyno's environment; DATABASE_URL="" means unset."""
    full_env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG", "CI"}}
    full_env.update(DYNO="web.1", SECRET_KEY=HEROKU_SECRET, **env)
    return {k: v for k, v in full_env.items() if v != ""}


def setting(expression: str, **env) -> str:
    code = ("import os; os.environ['DJANGO_SETTINGS_MODULE']='bikesite.settings'; "
            f"from django.conf import settings; print({expression})")
    result = subprocess.run([sys.executable, "-c", code], env=heroku_env(**env), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_on_heroku_without_database_url_every_command_but_collectstatic_refuses_naming_it():
    for command in (["migrate", "--noinput"], ["release"], ["check"],
                    ["shell", "-c", "from predictor.models import Prediction; Prediction.objects.count()"]):
        result = subprocess.run([sys.executable, "manage.py", *command], env=heroku_env(**NO_DATABASE_URL),
                                capture_output=True, text=True, timeout=120)
        assert result.returncode != 0, command
        assert "ImproperlyConfigured: DATABASE_URL is not set" in result.stderr, (command, result.stderr[-500:])


def test_on_heroku_without_database_url_gunicorn_refuses_to_start():
    result = subprocess.run([str(Path(sys.executable).parent / "gunicorn"), "bikesite.wsgi", "--config", "gunicorn.conf.py",
                             "--bind", "127.0.0.1:0"], env=heroku_env(**NO_DATABASE_URL), capture_output=True, text=True,
                            timeout=60)
    assert result.returncode != 0
    assert "ImproperlyConfigured: DATABASE_URL is not set" in result.stdout + result.stderr


def test_the_build_step_needs_no_database_even_with_dyno_set():
    # The buildpack's collectstatic (python manage.py collectstatic --noinput) loads the settings
    # with the app's config vars but no dyno (DYNO may still be passed through:
    # heroku-buildpack-python#280); it never needs the database.
    result = subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
                            env=heroku_env(**NO_DATABASE_URL), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert (Path(__file__).resolve().parents[1] / "staticfiles" / "staticfiles.json").exists()


def test_heroku_ci_is_not_the_heroku_app():
    assert setting("settings.SECURE_SSL_REDIRECT", DATABASE_URL="postgres://u@db.example/x") == "True"
    assert setting("getattr(settings, 'SECURE_SSL_REDIRECT', False)", CI="true", DATABASE_URL="postgres://u@db.example/x") == "False"
    assert setting("settings.DATABASES['default']['ENGINE']", CI="true", **NO_DATABASE_URL) == "django.db.backends.sqlite3"


def test_on_heroku_the_database_connection_requires_ssl_and_gives_up_connecting_after_seconds():
    options = setting("settings.DATABASES['default']['OPTIONS']", DATABASE_URL="postgres://u:p@db.example:5432/x")
    assert options == "{'sslmode': 'require', 'connect_timeout': 5}"


def test_a_connection_attempt_never_waits_forever_off_heroku_either():
    code = ("import os; os.environ['DJANGO_SETTINGS_MODULE']='bikesite.settings'; "
            "from django.conf import settings; print(settings.DATABASES['default'].get('OPTIONS'))")
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DYNO"}}
    env["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/x"
    assert subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True).stdout.strip() \
        == "{'connect_timeout': 5}"
