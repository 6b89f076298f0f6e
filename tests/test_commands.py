"""manage.py commands: train, models list/activate/rollback, ensure_model, release, createsuperuser."""
import io
import os
import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from ml.dataset import combine, load_daily_csv
from ml.tuning import model_params
from predictor.models import ModelVersion
from tests.conftest import store_fixed_model


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_train_reports_progress_and_a_metrics_table_and_activates_the_first_model(db):
    output = run("train")
    assert "fold 12/12" in output
    assert "baseline: predict the mean" in output and "baseline: linear regression" in output
    assert "Stored model version v" in output and "activated: no model was active" in output
    assert ModelVersion.objects.filter(is_active=True).count() == 1


def test_train_no_activate_stores_without_activating(db, active_version):
    output = run("train", "--no-activate")
    assert "not activated, as asked" in output
    assert ModelVersion.objects.get(is_active=True).pk == active_version.pk
    assert ModelVersion.objects.count() == 2


def test_train_activate_forces_activation(db, active_version):
    run("train", "--activate")
    assert ModelVersion.objects.get(is_active=True).pk != active_version.pk


def test_train_with_a_bad_csv_fails_in_one_line_and_stores_nothing(db, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("date,temperature,humidity,count\n2011-01-01,10,50,100\n")
    with pytest.raises(CommandError, match="cannot train: .*missing column.*windspeed"):
        run("train", "--data", str(bad))
    assert ModelVersion.objects.count() == 0


def test_train_with_a_bad_csv_exits_non_zero_without_a_traceback(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("date,temperature,humidity,windspeed,count\n2011-01-01,hot,50,5,100\n")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], env=env, check=True)
    result = subprocess.run([sys.executable, "manage.py", "train", "--data", str(bad)],
                            env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        f"CommandError: cannot train: {bad}: line 2: temperature 'hot' is not a finite number"
    )


def test_models_list_shows_id_cv_mae_and_the_active_one(make_version):
    active = make_version(active=True)
    other = make_version()
    output = run("models", "list")
    active_line = next(line for line in output.splitlines() if line.strip().startswith(str(active.pk)))
    other_line = next(line for line in output.splitlines() if line.strip().startswith(str(other.pk)))
    assert f"{active.cv_mae:.1f}" in active_line and active_line.rstrip().endswith("*")
    assert not other_line.rstrip().endswith("*")


def test_models_activate_and_rollback(make_version):
    first = make_version()
    second = make_version()
    run("models", "activate", str(first.pk))
    assert f"Model version v{second.pk} is now active." in run("models", "activate", str(second.pk))
    assert f"Model version v{first.pk} is now active." in run("models", "rollback")
    assert ModelVersion.objects.get(is_active=True).pk == first.pk


def test_models_activate_unknown_id_is_a_clear_error(db):
    with pytest.raises(CommandError, match="there is no model version 424242"):
        run("models", "activate", "424242")


def test_ensure_model_trains_once_then_keeps_the_active_model(db):
    assert "trained and activated version" in run("ensure_model")
    assert "found active version" in run("ensure_model")
    assert ModelVersion.objects.count() == 1


def test_createsuperuser_noinput_uses_the_environment_password(db, monkeypatch, client):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-admin-password")
    call_command("createsuperuser", "--noinput", "--username", "boss", "--email", "boss@example.com",
                 stdout=io.StringIO())
    assert get_user_model().objects.get(username="boss").is_staff
    # Through the admin's login form: the login guard (django-axes) checks every login by its request.
    response = client.post("/admin/login/", {"username": "boss", "password": "a-long-admin-password"})
    assert response.status_code == 302 and client.session.get("_auth_user_id")


def test_train_prints_the_nested_cv_figures_the_interval_and_its_coverage(db):
    output = run("train")
    version = ModelVersion.objects.get()
    assert "Nested leave-one-month-out cross-validation over 365 days" in output
    figures = version.metrics["interval_cv"]
    assert f"80 % interval on held-out days (its width adapts to the day's weather): covered {version.interval_coverage:.1%}" in output
    assert f"Coverage by quarter Q1 {figures['coverage_by_quarter']['Q1']:.1%}, Q2 " in output
    assert f"lowest predicted quarter of days {figures['coverage_by_predicted_quartile']['L1']:.1%}" in output
    assert f"mean width {version.interval_mean_width:,.0f} rentals" in output
    assert "fold 12/12: held out 2011-12; inner CV chose" in output


def test_train_says_which_model_won_and_by_how_much(db, bundled_dataset):
    weak = store_fixed_model(bundled_dataset, model_params(max_depth=1, rounds=20), active=True)
    output = run("train")
    new = ModelVersion.objects.exclude(pk=weak.pk).get()
    comparison = new.metrics["comparison"]
    margin = comparison["active_mae"] - comparison["new_mae"]
    assert "Champion/challenger on the same 365 days" in output
    assert f"new {new} {comparison['new_mae']:.1f}, active {weak} {comparison['active_mae']:.1f}" in output
    assert f"activated: the new {new} beats the active {weak} by {margin:.1f}" in output


def test_train_include_observed_adds_the_observed_days_and_they_win_on_a_repeated_date(db, tmp_path):
    observed = tmp_path / "observed.csv"
    observed.write_text("date,temperature,humidity,windspeed,count\n"
                        "2011-07-04,30,60,10,9999\n2012-01-01,5,60,10,1200\n2012-01-02,6,55,12,1500\n")
    run("import_observations", str(observed))
    output = run("train", "--include-observed", "--no-activate")
    version = ModelVersion.objects.get()
    bundled = load_daily_csv()
    expected = combine(bundled, load_daily_csv(observed))
    assert "adding 3 observed days" in output
    assert version.training_rows == 367
    assert version.training_data_fingerprint == expected.fingerprint != bundled.fingerprint
    assert str(version.training_last_date) == "2012-01-02"


def _project_commands():
    from django.core.management import get_commands

    return sorted(name for name, app in get_commands().items() if app == "predictor")


def _described_actions(parser):
    """Every argument a command adds (not Django's common ones), subcommands' arguments included."""
    import argparse

    django_common = {"help", "version", "verbosity", "settings", "pythonpath", "traceback", "no_color",
                     "force_color", "skip_checks"}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                yield f"subcommand {choice.dest}", choice.help
            for sub in action.choices.values():
                yield from _described_actions(sub)
        elif action.dest not in django_common:
            yield action.dest, action.help


@pytest.mark.parametrize("name", ["train", "models", "ensure_model", "release"])
def test_project_commands_are_the_ones_checked_for_help(name):
    assert name in _project_commands()


def test_every_command_and_argument_explains_itself_in_help():
    from django.core.management import load_command_class

    for name in _project_commands():
        parser = load_command_class("predictor", name).create_parser("manage.py", name)
        assert len(parser.description or "") > 60, f"{name}: say what it does, for a newcomer"
        assert "examples:" in (parser.epilog or ""), f"{name}: show how it is used"
        for argument, text in _described_actions(parser):
            assert text and text != "==SUPPRESS==", f"{name} {argument}: no help text"
