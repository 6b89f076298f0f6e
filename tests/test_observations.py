"""Observed outcomes: import (all or nothing), staff editing in admin, each version's live error."""
import datetime
import io

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ml import model_io
from predictor.models import Observation
from predictor.observations import live_error

HEADER = "date,temperature,humidity,windspeed,count\n"


def write_csv(tmp_path, text, name="observed.csv"):
    path = tmp_path / name
    path.write_text(HEADER + text)
    return path


def import_csv(path) -> str:
    out = io.StringIO()
    call_command("import_observations", str(path), stdout=out)
    return out.getvalue()


def test_import_stores_every_row_and_says_how_many(db, tmp_path):
    output = import_csv(write_csv(tmp_path, "2012-01-01,5.5,60,10,1200\n2012-01-02,7,55,12.5,1500\n"))
    assert "Imported 2 observed days (2 new, 0 updated)." in output
    day = Observation.objects.get(date=datetime.date(2012, 1, 2))
    assert (day.temperature, day.humidity, day.windspeed, day.actual_count) == (7.0, 55.0, 12.5, 1500)


def test_a_bad_file_reports_every_bad_line_and_imports_nothing(db, tmp_path):
    path = write_csv(tmp_path, "2012-01-01,5,60,10,1200\n2012-01-02,warm,55,12,1500\n"
                               "2012-01-03,7,55,12,1500\n2012-01-04,7,120,12,1500\n")
    with pytest.raises(CommandError) as caught:
        import_csv(path)
    message = str(caught.value)
    assert message.startswith("nothing imported:")
    assert "line 3: temperature 'warm' is not a finite number" in message
    assert "line 5: humidity 120.0 is outside 0..100" in message
    assert Observation.objects.count() == 0


def test_reimporting_a_date_corrects_it_instead_of_duplicating_it(db, tmp_path):
    import_csv(write_csv(tmp_path, "2012-01-01,5,60,10,1200\n"))
    output = import_csv(write_csv(tmp_path, "2012-01-01,5,60,10,1250\n2012-01-02,6,60,10,1300\n", "fix.csv"))
    assert "(1 new, 1 updated)" in output
    assert Observation.objects.get(date=datetime.date(2012, 1, 1)).actual_count == 1250
    assert Observation.objects.count() == 2


def test_staff_can_add_and_correct_observations_in_admin(admin_client):
    form = {"date": "2012-03-01", "temperature": "10", "humidity": "50", "windspeed": "8", "actual_count": "2500"}
    assert admin_client.post("/admin/predictor/observation/add/", form).status_code == 302
    day = Observation.objects.get()
    response = admin_client.post(f"/admin/predictor/observation/{day.pk}/change/", {**form, "actual_count": "2600"})
    assert response.status_code == 302
    day.refresh_from_db()
    assert day.actual_count == 2600


def test_admin_refuses_an_observation_outside_physical_bounds(admin_client):
    form = {"date": "2012-03-01", "temperature": "10", "humidity": "150", "windspeed": "8", "actual_count": "2500"}
    response = admin_client.post("/admin/predictor/observation/add/", form)
    assert response.status_code == 200 and "Must be between 0 and 100." in response.content.decode()
    assert Observation.objects.count() == 0


def test_live_error_is_the_mae_over_observed_days_after_the_training_data(active_version, trained):
    Observation.objects.create(date=datetime.date(2011, 6, 1), temperature=25, humidity=50, windspeed=10,
                               actual_count=1)  # inside the training data: the model saw that day
    rows = [(datetime.date(2012, 1, 10), 5.0, 60.0, 10.0, 1000), (datetime.date(2012, 7, 10), 28.0, 55.0, 9.0, 5000)]
    for day, temperature, humidity, windspeed, count in rows:
        Observation.objects.create(date=day, temperature=temperature, humidity=humidity, windspeed=windspeed,
                                   actual_count=count)
    predicted = model_io.predict(trained.booster, np.array([row[1:4] for row in rows]))
    expected = np.mean(np.abs(np.maximum(predicted, 0) - np.array([1000, 5000])))
    error = live_error(active_version)
    assert error.days == 2
    assert error.mae == pytest.approx(float(expected), rel=1e-5)


def test_a_version_with_no_unseen_observed_days_has_no_live_error(active_version):
    Observation.objects.create(date=datetime.date(2011, 6, 1), temperature=25, humidity=50, windspeed=10,
                               actual_count=4000)
    assert live_error(active_version) is None


def test_admin_shows_each_version_s_live_error_and_interval(admin_client, active_version):
    Observation.objects.create(date=datetime.date(2012, 1, 10), temperature=5, humidity=60, windspeed=10,
                               actual_count=1000)
    html = admin_client.get("/admin/predictor/modelversion/").content.decode()
    expected = live_error(active_version)
    assert f"{expected.mae:.1f} over 1 day" in html
    assert f"adaptive, mean width {active_version.interval_mean_width:,.0f}" in html
