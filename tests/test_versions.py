"""Model versions: the at-most-one-active rule, activation, rollback, train-and-decide."""
import pytest
from django.db import IntegrityError, transaction

from predictor import versions
from predictor.models import ModelVersion


def test_the_database_refuses_two_active_versions(make_version):
    make_version(active=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_version(active=True)


def test_activating_a_version_deactivates_the_previous_one(make_version):
    first = make_version(active=True)
    second = make_version()
    versions.activate_model_version(version_id=second.pk)
    assert list(ModelVersion.objects.filter(is_active=True).values_list("id", flat=True)) == [second.pk]
    first.refresh_from_db()
    assert first.is_active is False


def test_activating_an_unknown_version_is_refused(make_version):
    with pytest.raises(versions.VersionError, match="no model version 999999"):
        versions.activate_model_version(version_id=999999)


def test_rollback_returns_to_the_previously_active_version(make_version):
    first, second = make_version(), make_version()
    versions.activate_model_version(version_id=first.pk)
    versions.activate_model_version(version_id=second.pk)
    assert versions.rollback_model_version().pk == first.pk
    assert ModelVersion.objects.get(is_active=True).pk == first.pk


def test_rollback_without_history_is_refused(make_version):
    make_version()
    with pytest.raises(versions.VersionError, match="no previously active"):
        versions.rollback_model_version()


def test_first_training_activates_and_an_equal_model_does_not_replace_it(db):
    first = versions.train_model_version()
    second = versions.train_model_version()
    assert first.activated and first.reason == "activated: no model was active"
    assert not second.activated and "does not beat" in second.reason
    assert ModelVersion.objects.get(is_active=True).pk == first.version.pk
    assert second.version.sha256 == first.version.sha256  # fixed seed: same data, same model


def test_training_stores_metrics_ranges_and_fingerprint(db, bundled_dataset):
    version = versions.train_model_version(activate=False).version
    assert version.training_rows == 365
    assert version.training_data_fingerprint == bundled_dataset.fingerprint
    assert set(version.metrics) >= {"cv", "baseline_mean", "baseline_linear", "train"}
    assert version.feature_ranges["humidity"][0] < version.feature_ranges["humidity"][1] <= 100
    assert version.params["max_depth"] == 2


def test_a_better_model_replaces_a_worse_active_one(make_version):
    worse = make_version(active=True)
    ModelVersion.objects.filter(pk=worse.pk).update(metrics={"cv": {"mae": 9999.0, "rmse": 1, "r2": 0}})
    outcome = versions.train_model_version()
    assert outcome.activated and "beats" in outcome.reason
    assert ModelVersion.objects.get(is_active=True).pk == outcome.version.pk


def test_ensure_active_model_trains_only_when_nothing_is_active(db):
    version, trained = versions.ensure_active_model()
    again, trained_again = versions.ensure_active_model()
    assert trained and not trained_again
    assert again.pk == version.pk and version.is_active
    assert ModelVersion.objects.count() == 1
