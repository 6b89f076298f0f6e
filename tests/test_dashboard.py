"""The admin history dashboard: staff only, aggregated in SQL, over a chosen period."""
import datetime as dt

import pytest
from django.contrib.auth.models import Permission

from predictor import services
from predictor.history import dashboard
from predictor.history import summary as history_summary
from predictor.models import Prediction

URL = "/admin/predictor/prediction/dashboard/"
TODAY = dt.date(2026, 3, 15)


def record_on(day: dt.date, *, source="form", temperature=20.0, humidity=60.0, windspeed=10.0, hour=12):
    """A real prediction, moved to a given day (history is append-only for the app, not for a test)."""
    prediction = services.predict_and_record(temperature=temperature, humidity=humidity, windspeed=windspeed,
                                             source=source)
    when = dt.datetime.combine(day, dt.time(hour), tzinfo=dt.timezone.utc)
    Prediction.objects.filter(pk=prediction.pk).update(created_at=when)
    history_summary.rebuild()  # a row moved to a past day by SQL: recounted as summarize_history does
    return prediction


@pytest.fixture
def history(active_version):
    record_on(TODAY, source="form")
    record_on(TODAY, source="api", temperature=40.0)  # outside the training range
    record_on(TODAY - dt.timedelta(days=1), source="batch", hour=0)
    record_on(TODAY - dt.timedelta(days=1), source="batch", hour=23)
    record_on(TODAY - dt.timedelta(days=10), source="form")  # outside a 7-day period


def test_per_day_counts_by_source_cover_every_day_of_the_period(history):
    summary = dashboard.history_summary(dashboard.Period.last(7, today=TODAY))
    assert summary.total == 4
    assert len(summary.period.days) == 7
    assert summary.per_day["form"] == [0, 0, 0, 0, 0, 0, 1]
    assert summary.per_day["api"] == [0, 0, 0, 0, 0, 0, 1]
    assert summary.per_day["batch"] == [0, 0, 0, 0, 0, 2, 0]


def test_per_version_counts_and_inputs_outside_the_training_range(history, active_version):
    summary = dashboard.history_summary(dashboard.Period.last(7, today=TODAY))
    (row,) = summary.versions
    assert row.version == active_version and row.predictions == 4 and row.outside == 1
    temperature = summary.histograms[0]
    assert temperature.feature == "temperature" and temperature.outside == 1
    assert sum(temperature.counts) == 4
    assert temperature.training_range == tuple(active_version.feature_ranges["temperature"])
    bin_of_40 = next(i for i, (a, b) in enumerate(zip(temperature.edges, temperature.edges[1:])) if a <= 40 < b)
    assert temperature.counts[bin_of_40] == 1


def test_drift_histograms_show_the_latest_predictions_of_the_period(active_version, monkeypatch):
    monkeypatch.setattr(dashboard, "RECENT_SAMPLE", 2)
    record_on(TODAY, temperature=10.0, hour=1)
    record_on(TODAY, temperature=20.0, hour=2)
    record_on(TODAY, temperature=25.0, hour=3)
    summary = dashboard.history_summary(dashboard.Period.last(1, today=TODAY))
    assert summary.total == 3 and summary.sample_size == 2
    temperature = summary.histograms[0]
    filled = [low for low, n in zip(temperature.edges, temperature.counts) if n]
    assert filled == [20.0, 24.0]


def test_humidity_of_100_falls_in_the_last_bin(active_version):
    record_on(TODAY, humidity=100.0)
    humidity = dashboard.history_summary(dashboard.Period.last(1, today=TODAY)).histograms[1]
    assert humidity.edges[-1] == 100.0 and humidity.counts[-1] == 1


def test_summary_takes_a_fixed_number_of_queries_however_many_rows(history, django_assert_max_num_queries):
    # The watermark, the summary's days, the open days' GROUP BY, the versions, the latest inputs,
    # and the live error of the one version.
    with django_assert_max_num_queries(6):
        dashboard.history_summary(dashboard.Period.last(30, today=TODAY))


def test_empty_period_has_no_histograms(history):
    summary = dashboard.history_summary(dashboard.Period(dt.date(2020, 1, 1), dt.date(2020, 1, 31)))
    assert summary.total == 0 and summary.histograms == []


def test_period_form_refuses_a_start_after_the_end_and_overlong_periods():
    assert not dashboard.PeriodForm({"start": "2026-03-10", "end": "2026-03-01"}).is_valid()
    assert not dashboard.PeriodForm({"start": "2024-01-01", "end": "2026-01-01"}).is_valid()
    assert dashboard.PeriodForm({"start": "2026-03-01", "end": "2026-03-10"}).is_valid()


def test_dashboard_requires_a_staff_login(client, history):
    response = client.get(URL)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_dashboard_is_refused_to_staff_who_may_not_view_the_history(client, history, django_user_model):
    user = django_user_model.objects.create_user("clerk", password="pw-long-enough-1", is_staff=True)
    client.force_login(user)
    assert client.get(URL).status_code == 403
    user.user_permissions.add(Permission.objects.get(codename="view_prediction"))
    assert client.get(URL).status_code == 200


def test_dashboard_shows_the_chosen_period_with_charts_and_versions_side_by_side(admin_client, history,
                                                                               active_version):
    response = admin_client.get(URL, {"start": "2026-03-09", "end": "2026-03-15"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<strong>4</strong> predictions from 9 Mar 2026 to 15 Mar 2026" in html
    assert html.count('role="img"') == 5  # per day, per version, three inputs
    assert "1 of the 4 predictions (25 %) had a temperature outside" in html
    assert f"{active_version.cv_mae:.1f}" in html and "Model versions side by side" in html
    assert (f"adaptive, mean width {active_version.interval_mean_width:,.0f} "
            f"({active_version.interval_coverage * 100:.0f} %)") in html
    assert "<script" not in html.split('id="content-main"')[1] and "style=" not in html.split('id="content-main"')[1]


def test_dashboard_presets_choose_the_last_days(admin_client, history):
    html = admin_client.get(URL, {"days": "7"}).content.decode()
    assert f"{dt.date.today() - dt.timedelta(days=6):%-d %b %Y} to" in html


def test_dashboard_explains_an_invalid_period_and_shows_the_default(admin_client, history):
    html = admin_client.get(URL, {"start": "2026-03-10", "end": "2026-03-01"}).content.decode()
    assert "The first day must not be after the last day." in html
    assert "predictions from" in html


def test_history_list_links_to_the_dashboard(admin_client, history):
    html = admin_client.get("/admin/predictor/prediction/").content.decode()
    assert f'href="{URL}"' in html


def test_dashboard_satisfies_the_content_security_policy(admin_client, history):
    from tests.test_security_headers import assert_csp_clean

    assert_csp_clean(admin_client.get(URL, {"days": "30"}))
