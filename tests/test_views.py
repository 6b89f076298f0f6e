"""The public pages: form, Post/Redirect/Get, result page, errors, health and readiness."""
import re
import uuid

import pytest
from django.db import OperationalError
from django.test import Client

from predictor import figures, serving, services, views
from predictor.models import Prediction
from tests.conftest import store_booster

VALID = {"temperature": "20", "humidity": "60", "windspeed": "12"}


def test_form_page_shows_the_three_labelled_fields_with_units(client, active_version):
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    for name, label in [("temperature", "Temperature"), ("humidity", "Humidity"), ("windspeed", "Wind speed")]:
        assert f'<label for="id_{name}">{label} <span class="visually-hidden">(' in html
        # Text with a decimal keypad, not type=number (which turns "12,5" into 125 in Chromium).
        assert re.search(rf'<input type="text" name="{name}"[^>]*inputmode="decimal"[^>]*'
                         rf'aria-describedby="id_{name}_helptext"', html)
    assert '<span class="unit" aria-hidden="true">°C</span>' in html and "km/h" in html
    assert "/static/css/site.css" in html


def test_valid_post_records_once_and_redirects_to_the_result_page(client, active_version):
    response = client.post("/", VALID)
    prediction = Prediction.objects.get()
    assert response.status_code == 303
    assert response["Location"] == f"/predictions/{prediction.pk}/"
    assert prediction.source == "form" and prediction.model_version_id == active_version.pk


def test_result_page_shows_the_whole_number_inputs_and_model_version(client, active_version):
    client.post("/", VALID)
    prediction = Prediction.objects.get()
    html = client.get(f"/predictions/{prediction.pk}/").content.decode()
    assert f"<strong>{prediction.rounded_count:,}</strong>" in html
    assert "20\u00a0°C" in html and "60\u00a0%" in html and "12\u00a0km/h" in html
    assert f"model version {active_version.pk}" in html
    assert 'href="/?temperature=20.0&amp;humidity=60.0&amp;windspeed=12.0"' in html


def test_result_page_shows_the_80_percent_interval_and_each_feature_s_contribution(client, active_version):
    client.post("/", VALID)
    prediction = Prediction.objects.get()
    response = client.get(f"/predictions/{prediction.pk}/")
    html = response.content.decode()
    low, high = prediction.rounded_interval
    assert f"Likely between <strong>{low:,}</strong> and <strong>{high:,}</strong> (80&nbsp;% interval" in html
    explanation = services.explain_prediction(prediction)
    for name, value in explanation.contributions.items():
        assert f"{figures.FEATURE_WORDS[name][0]} {figures.signed(value)}" in html  # in the chart's text
    assert explanation.prediction == pytest.approx(prediction.predicted_count, abs=0.5)


@pytest.mark.parametrize("weather, words", [
    ({"temperature": "20", "humidity": "85", "windspeed": "15"}, "This range is wider than usual"),
    ({"temperature": "30", "humidity": "40", "windspeed": "15"}, "This range is narrower than usual"),
])
def test_result_page_says_why_the_day_s_interval_is_wide_or_narrow(client, active_version, weather, words):
    client.post("/", weather)
    html = client.get(f"/predictions/{Prediction.objects.get().pk}/").content.decode()
    assert words in html and "days with weather like this" in html


def test_result_page_of_a_constant_interval_version_says_every_day_gets_the_same_width(client, db, trained,
                                                                                        bundled_dataset):
    store_booster(trained.booster, trained.params, bundled_dataset, interval_offset=956.0, active=True)
    client.post("/", VALID)
    html = client.get(f"/predictions/{Prediction.objects.get().pk}/").content.decode()
    assert "gives every day an interval of the same width" in html


def test_reloading_the_result_page_records_nothing(client, active_version):
    client.post("/", VALID)
    url = f"/predictions/{Prediction.objects.get().pk}/"
    for _ in range(3):
        assert client.get(url).status_code == 200
    assert Prediction.objects.count() == 1


def test_change_inputs_link_prefills_the_form(client, active_version):
    html = client.get("/?temperature=20.5&humidity=60&windspeed=12").content.decode()
    assert 'value="20.5"' in html


def test_form_offers_typical_days_that_fill_it(client, active_version):
    html = client.get("/").content.decode()
    assert 'placeholder="e.g. 16.9"' in html
    summer = re.search(r'<a class="preset" href="([^"]+)">A summer day', html).group(1)
    filled = client.get(summer.replace("&amp;", "&")).content.decode()
    assert 'value="25.7"' in filled and 'value="60.2"' in filled and 'value="11.5"' in filled


def test_decimal_comma_is_a_decimal_point(client, active_version):
    client.post("/", {**VALID, "temperature": "12,5"})
    assert Prediction.objects.get().temperature == 12.5


def test_invalid_post_returns_400_with_field_errors_and_stores_nothing(client, active_version):
    response = client.post("/", {**VALID, "humidity": "140", "windspeed": "fast"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Humidity must be at most 100\u00a0%." in html  # the unit stays with its number
    assert "Enter the wind speed as a number in km/h." in html
    assert 'aria-invalid="true"' in html
    assert Prediction.objects.count() == 0


def test_post_without_csrf_token_is_forbidden(active_version):
    response = Client(enforce_csrf_checks=True).post("/", VALID)
    assert response.status_code == 403
    assert Prediction.objects.count() == 0


def test_inputs_outside_the_training_range_are_flagged_on_the_result_page(client, active_version):
    client.post("/", {**VALID, "temperature": "45"})
    html = client.get(f"/predictions/{Prediction.objects.get().pk}/").content.decode()
    assert "Outside what the model has seen" in html and "Your temperature lies outside" in html


def test_inputs_inside_the_training_range_are_not_flagged(client, active_version):
    client.post("/", VALID)
    html = client.get(f"/predictions/{Prediction.objects.get().pk}/").content.decode()
    assert "Outside what the model has seen" not in html


def test_unknown_prediction_is_404(client, active_version):
    assert client.get(f"/predictions/{uuid.uuid4()}/").status_code == 404


def test_without_an_active_model_the_form_answers_503_and_stores_nothing(client, make_version):
    make_version(active=False)
    response = client.post("/", VALID)
    assert response.status_code == 503
    assert response["Retry-After"] == "5", "as the API's and the database's 503s say"
    assert "temporarily unavailable" in response.content.decode()
    assert Prediction.objects.count() == 0


def test_healthz_answers_while_the_process_lives(client, db):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_is_ok_with_an_active_model(client, active_version):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "model_version": active_version.pk}


def test_readyz_is_503_without_an_active_model_and_logs_the_reason_it_does_not_show(client, db, caplog):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "model_version": None}
    [record] = [r for r in caplog.records if getattr(r, "logfmt", {}).get("event") == "not_ready"]
    assert record.logfmt == {"event": "not_ready", "reason": "model", "detail": "no model version is active"}


def test_readyz_shows_no_database_error_to_the_public_and_logs_it(client, db, caplog, monkeypatch):
    class RefusedConnection:
        def cursor(self):
            raise OperationalError('connection to server at "10.1.2.3", port 5432 failed: secret detail')

    monkeypatch.setattr(views, "connection", RefusedConnection())
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "model_version": None}
    assert "10.1.2.3" not in response.content.decode() and "OperationalError" not in response.content.decode()
    [record] = [r for r in caplog.records if getattr(r, "logfmt", {}).get("event") == "not_ready"]
    assert record.logfmt["reason"] == "database"
    assert record.logfmt["detail"].startswith('OperationalError: connection to server at "10.1.2.3"')


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_form_page_refuses_other_methods(client, active_version, method):
    assert getattr(client, method)("/").status_code == 405


def test_form_page_says_what_the_model_knows_and_its_cv_mae(client, active_version):
    html = client.get("/").content.decode()
    assert "Capital Bikeshare in Washington D.C." in html and "2011" in html
    assert f"off by about {active_version.cv_mae:.0f} rentals a day on average" in html


def test_result_page_has_a_what_if_chart_per_input_with_text_alternatives(client, active_version):
    client.post("/", VALID)
    html = client.get(f"/predictions/{Prediction.objects.get().pk}/").content.decode()
    for name in ["temperature", "humidity", "windspeed"]:
        assert f'id="what-if-{name}"' in html
    assert html.count('role="img"') == 4  # contributions and three what-if charts
    assert html.count("<title id=") == 4 and html.count("<figcaption>") == 4
    assert "At your 20\u00a0°C: about" in html


def test_result_page_says_when_the_curves_come_from_a_newer_model(client, active_version, make_version):
    from predictor import versions

    client.post("/", VALID)
    newer = make_version()
    versions.activate_model_version(version_id=newer.pk)
    serving.forget_loaded_model()  # as a worker would after MODEL_REFRESH_SECONDS
    html = client.get(f"/predictions/{Prediction.objects.get().pk}/").content.decode()
    assert f"These curves come from model version {newer.pk}" in html


def test_result_page_still_shows_the_forecast_without_an_active_model(client, active_version):
    client.post("/", VALID)
    active_version.is_active = False
    active_version.save()
    serving.forget_loaded_model()
    response = client.get(f"/predictions/{Prediction.objects.get().pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "What if the weather were different?" not in html and 'id="what-if-' not in html
    assert 'id="contributions"' in html  # made by the prediction's own version, active or not


@pytest.mark.parametrize("path", ["/", "result"])
def test_public_pages_have_no_inline_script_style_or_event_handlers(client, active_version, path):
    client.post("/", VALID)
    if path == "result":
        path = f"/predictions/{Prediction.objects.get().pk}/"
    html = client.get(path).content.decode()
    assert "<script" not in html and "<style" not in html and "style=" not in html
    assert not re.search(r"<[^>]+\son[a-z]+=", html)


def test_outside_note_names_the_inputs_and_ranges_in_words_and_units(client, active_version):
    client.post("/", {**VALID, "windspeed": "40"})
    html = client.get(f"/predictions/{Prediction.objects.get().pk}/").content.decode()
    assert "Your wind speed lies outside" in html
    assert "wind speed 1.5 to 34\u00a0km/h" in html and "temperature −5.2 to 31.9\u00a0°C" in html


def test_result_page_explains_the_number_with_a_contributions_chart_and_a_reading(client, active_version):
    client.post("/", VALID)
    html = client.get(f"/predictions/{Prediction.objects.get().pk}/").content.decode()
    assert 'id="contributions"' in html and "What each input adds to or takes from an average day" in html
    assert "An average day has about" in html and "adds the most" in html


def test_form_page_says_so_when_the_model_learned_from_days_observed_after_2011(client, active_version):
    import datetime as dt

    from predictor.models import ModelVersion

    ModelVersion.objects.filter(pk=active_version.pk).update(training_rows=367,
                                                           training_last_date=dt.date(2012, 1, 2))
    html = client.get("/").content.decode()
    assert "over 367 days, from 2011 to 2 January 2012" in html
