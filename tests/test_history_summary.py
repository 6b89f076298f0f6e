"""The dashboard's daily summary: exact, off the hot path, kept exact by summarize_history and pruning."""
import datetime as dt

from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from predictor import services
from predictor.history import summary as history_summary
from predictor.models import Prediction, PredictionDay
from tests.history_rows import add_rows, at

TODAY = timezone.now().date()


def counted(start: dt.date, end: dt.date) -> int:
    return Prediction.objects.filter(created_at__gte=at(start, 0), created_at__lt=at(end, 0)).count()


def test_recording_a_prediction_never_touches_the_summary(active_version):
    with CaptureQueriesContext(connection) as queries:
        services.predict_and_record(temperature=20, humidity=50, windspeed=10, source="form")
    assert queries.captured_queries and not [q for q in queries.captured_queries if "predictionday" in q["sql"]
                                             or "summarywatermark" in q["sql"]]


def test_todays_predictions_are_counted_live(active_version):
    history_summary.rebuild()
    for source in ("form", "api"):
        services.predict_and_record(temperature=20, humidity=50, windspeed=10, source=source)
    assert history_summary.total(TODAY, TODAY + dt.timedelta(days=1)) == 2


def test_summarize_history_counts_rows_bulk_loaded_into_past_days(active_version, capsys):
    old = TODAY - dt.timedelta(days=30)
    history_summary.rebuild()
    add_rows(active_version, at(old), 60, source="batch", outside=True)
    add_rows(active_version, at(old, 23), 2, source="form")
    call_command("summarize_history")
    assert "62 predictions" in capsys.readouterr().out
    groups = {(g.day, g.source): (g.predictions, g.outside) for g in history_summary.groups(old, TODAY)}
    assert groups == {(old, "batch"): (60, 60), (old, "form"): (2, 0)}
    call_command("summarize_history")  # idempotent
    assert history_summary.total(old, TODAY + dt.timedelta(days=1)) == counted(old, TODAY + dt.timedelta(days=1))


def test_extend_summarises_the_days_closed_since_the_watermark(active_version):
    days = [TODAY - dt.timedelta(days=n) for n in (3, 2, 1)]
    history_summary.rebuild(now=at(days[0], 1))  # days before days[0] are closed
    for day in days:
        add_rows(active_version, at(day), 2)
    assert PredictionDay.objects.count() == 0
    assert history_summary.extend(now=at(TODAY, 2)) == 3
    assert sorted(PredictionDay.objects.values_list("day", "predictions")) == [(day, 2) for day in days]
    assert history_summary.extend(now=at(TODAY, 3)) == 0  # nothing closed since
    assert history_summary.total(days[0], TODAY) == 6


def test_a_day_closes_only_an_hour_after_it_ends(active_version):
    assert history_summary.first_open_day(at(TODAY, 0) + dt.timedelta(minutes=59)) == TODAY - dt.timedelta(days=1)
    assert history_summary.first_open_day(at(TODAY, 1)) == TODAY


def test_totals_equal_a_sql_count_of_any_window_across_the_watermark(active_version):
    for n in range(6):
        add_rows(active_version, at(TODAY - dt.timedelta(days=n), 5 + n), n + 1, source=["form", "api", "batch"][n % 3])
    history_summary.rebuild(now=at(TODAY - dt.timedelta(days=2), 12))  # days before TODAY-2 summarised
    for start_back, end_back in [(5, 0), (5, 3), (2, -1), (6, -1), (3, 1)]:
        start, end = TODAY - dt.timedelta(days=start_back), TODAY - dt.timedelta(days=end_back)
        assert history_summary.total(start, end) == counted(start, end), (start_back, end_back)
