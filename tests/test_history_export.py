"""export_history and the CSV writer: the window asked for, streamed in chunks, sanely formatted."""
import csv
import datetime as dt
import gzip
import io
import uuid

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from predictor.history import export as history_export
from predictor.models import Prediction
from tests.history_rows import add_rows, at

DAY = dt.date(2026, 5, 10)


def read(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode())))


@pytest.fixture
def window(active_version):
    add_rows(active_version, at(DAY - dt.timedelta(days=1), 23), 1, source="form")  # before --since
    add_rows(active_version, at(DAY, 0), 2, source="api")
    add_rows(active_version, at(DAY + dt.timedelta(days=1), 23), 1, source="batch", outside=True)  # --until's day
    add_rows(active_version, at(DAY + dt.timedelta(days=2), 0), 1, source="form")  # after --until


def test_export_writes_the_window_until_inclusive_gzip_compressed(window, tmp_path, active_version):
    path = tmp_path / "out.csv.gz"
    call_command("export_history", "--since", str(DAY), "--until", str(DAY + dt.timedelta(days=1)),
                 "--output", str(path))
    rows = read(gzip.decompress(path.read_bytes()))
    assert [row["source"] for row in rows] == ["api", "api", "batch"]  # oldest first
    assert list(rows[0]) == list(history_export.HEADER)
    assert rows[-1] | {"id": ""} == {
        "id": "", "created_at": f"{DAY + dt.timedelta(days=1)}T23:00:00.000000Z", "source": "batch",
        "temperature": "21.5", "humidity": "60", "windspeed": "10", "predicted_count": "1234.6",
        "interval_low": "1000.0", "interval_high": "1500.0", "outside_training_range": "true",
        "model_version": str(active_version)}


def test_export_to_stdout_when_no_output_is_given(window, capsysbinary):
    call_command("export_history", "--since", str(DAY), "--until", str(DAY))
    assert [row["source"] for row in read(capsysbinary.readouterr().out)] == ["api", "api"]


def test_export_refuses_a_window_that_ends_before_it_starts(db):
    with pytest.raises(CommandError, match="after --until"):
        call_command("export_history", "--since", "2026-05-02", "--until", "2026-05-01")


def test_small_chunks_give_every_row_once_even_when_rows_share_a_timestamp(active_version):
    add_rows(active_version, at(DAY), 7)  # one batch: one created_at for all
    add_rows(active_version, at(DAY, 13), 3)
    every = b"".join(history_export.csv_chunks(Prediction.objects.all()))
    for newest_first in (False, True):
        chunks = list(history_export.csv_chunks(Prediction.objects.all(), chunk_rows=2, newest_first=newest_first))
        assert len(chunks) == 1 + 5
        ids = [row["id"] for row in read(b"".join(chunks))]
        assert len(set(ids)) == 10 and sorted(ids) == sorted(row["id"] for row in read(every))
        stamps = [row["created_at"] for row in read(b"".join(chunks))]
        assert stamps == sorted(stamps, reverse=newest_first)


def test_postgresql_and_python_write_the_same_csv(active_version):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("compares PostgreSQL's COPY with the Python writer")
    add_rows(active_version, at(DAY), 3, temperature=-3.25)
    rows = Prediction.objects.order_by("created_at", "id")
    assert history_export._chunk(rows) == history_export._python_chunk(rows)


def test_last_key_reads_the_id_and_time_of_the_chunks_last_row():
    pk = uuid.uuid4()
    data = f"{uuid.uuid4()},2026-01-01T00:00:00.000000Z,api\n{pk},2026-01-02T03:04:05.000006Z,form\n".encode()
    assert history_export._last_key(data) == (dt.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=dt.timezone.utc), pk)
