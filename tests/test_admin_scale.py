"""The admin history stays fast over millions of rows: no full count, no join, no date scan."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from predictor import services
from predictor.admin import pagination
from predictor.admin.pagination import EstimatedCountPaginator
from predictor.models import Prediction


@pytest.fixture
def history(active_version):
    for temperature, source in [(5, "form"), (15, "api"), (25, "batch"), (30, "api")]:
        services.predict_and_record(temperature=temperature, humidity=60, windspeed=10, source=source)


def history_queries(admin_client, url="/admin/predictor/prediction/") -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert admin_client.get(url).status_code == 200
    return [query["sql"] for query in queries.captured_queries]


def test_history_page_never_loads_model_artifacts(admin_client, history):
    assert not [sql for sql in history_queries(admin_client) if "artifact" in sql]


def test_history_page_never_scans_the_table_for_distinct_dates(admin_client, history):
    assert not [sql for sql in history_queries(admin_client) if "DISTINCT" in sql.upper()]


def test_history_shows_the_model_version_and_filters_by_it(admin_client, history, active_version):
    html = admin_client.get(f"/admin/predictor/prediction/?model_version__id__exact={active_version.pk}").content.decode()
    assert html.count(f">v{active_version.pk}<") >= 4


def test_large_unfiltered_history_is_counted_from_the_planners_statistics(db, history, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("the planner's row estimate (pg_class) is PostgreSQL's; elsewhere the paginator counts")
    monkeypatch.setattr(pagination, "EXACT_BELOW", 0)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Prediction._meta.db_table}")
    paginator = EstimatedCountPaginator(Prediction.objects.all(), 50)
    with CaptureQueriesContext(connection) as queries:
        assert paginator.count == 4
    assert not [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]


def test_filtered_history_is_counted_only_up_to_the_cap(db, history, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 1)
    assert EstimatedCountPaginator(Prediction.objects.filter(source="api"), 50).count == 1
    monkeypatch.setattr(pagination, "COUNT_CAP", 10_000)
    assert EstimatedCountPaginator(Prediction.objects.filter(source="api"), 50).count == 2
