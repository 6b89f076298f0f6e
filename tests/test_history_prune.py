"""prune_history: archive first, delete in batches, keep the summary exact, safe to run again."""
import csv
import datetime as dt
import gzip
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from predictor.history import prune as history_prune
from predictor.history import summary as history_summary
from predictor.models import Prediction
from tests.history_rows import add_rows, at

TODAY = timezone.now().date()
OLD, CUTOFF, RECENT = (TODAY - dt.timedelta(days=n) for n in (40, 30, 20))


@pytest.fixture
def history(active_version):
    old = add_rows(active_version, at(OLD), 5, source="batch", outside=True)
    add_rows(active_version, at(CUTOFF, 0), 2, source="form")  # the cutoff day itself stays
    add_rows(active_version, at(RECENT), 3, source="api")
    history_summary.rebuild()
    return old


def test_prune_deletes_only_rows_before_the_day_in_batches(history, capsys):
    call_command("prune_history", "--before", str(CUTOFF), "--batch-size", "2")
    out = capsys.readouterr().out
    assert "Deleted 5 predictions" in out and "in 3 batches" in out
    assert sorted(Prediction.objects.values_list("source", flat=True)) == ["api"] * 3 + ["form"] * 2


def test_prune_keeps_the_summary_exact(history):
    history_prune.prune(before=CUTOFF, batch_size=2, rest=0)
    assert history_summary.total(OLD - dt.timedelta(days=5), TODAY + dt.timedelta(days=1)) == 5 == Prediction.objects.count()


def test_prune_archives_the_rows_first_in_the_export_format(history, tmp_path):
    path = tmp_path / "old.csv.gz"
    result = history_prune.prune(before=CUTOFF, archive_path=path)
    rows = list(csv.DictReader(io.StringIO(gzip.decompress(path.read_bytes()).decode())))
    assert result.archived == result.deleted == 5
    assert sorted(row["id"] for row in rows) == sorted(str(p.pk) for p in history)
    assert not list(tmp_path.glob("*.partial"))


def test_nothing_is_deleted_when_the_archive_cannot_be_written(history, tmp_path):
    with pytest.raises(CommandError, match="nothing deleted"):
        call_command("prune_history", "--before", str(CUTOFF), "--archive", str(tmp_path / "missing" / "a.csv"))
    (tmp_path / "exists.csv").write_text("an earlier archive")
    with pytest.raises(CommandError, match="never overwritten"):
        call_command("prune_history", "--before", str(CUTOFF), "--archive", str(tmp_path / "exists.csv"))
    assert (tmp_path / "exists.csv").read_text() == "an earlier archive"
    assert Prediction.objects.count() == 10


def test_an_interrupted_prune_leaves_a_consistent_history_that_a_rerun_finishes(history):
    def interrupt(rows):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        history_prune.prune(before=CUTOFF, batch_size=2, rest=0, on_deleted=interrupt)
    assert Prediction.objects.count() == 8  # the first batch committed whole
    assert history_summary.total(OLD, TODAY + dt.timedelta(days=1)) == 8
    assert history_prune.prune(before=CUTOFF, batch_size=2, rest=0).deleted == 3
    assert history_summary.total(OLD, TODAY + dt.timedelta(days=1)) == 5 == Prediction.objects.count()


def test_prune_refuses_a_day_in_the_future(db):
    with pytest.raises(CommandError, match="future"):
        call_command("prune_history", "--before", str(TODAY + dt.timedelta(days=2)))


def test_nothing_refers_to_a_prediction_today():
    # If a model gains a foreign key to Prediction, prunable() keeps the rows it refers to:
    # check that docs/history.md ("Prune") still tells the truth, then update this.
    assert [r.related_model for r in Prediction._meta.related_objects] == []
