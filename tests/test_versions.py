"""Model versions: the at-most-one-active rule, activation, rollback, train-and-decide."""
import pytest
from django.db import IntegrityError, transaction

from ml.dataset import FEATURES
from ml.tuning import SearchSpace, model_params
from predictor import versions
from predictor.models import ModelVersion
from tests.conftest import store_fixed_model


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


def test_a_better_model_replaces_a_worse_active_one(db, bundled_dataset):
    worse = store_fixed_model(bundled_dataset, model_params(max_depth=1, rounds=20), active=True)
    outcome = versions.train_model_version()
    assert outcome.activated and f"beats the active {worse} by" in outcome.reason
    assert outcome.comparison.new_mae < outcome.comparison.active_mae
    assert ModelVersion.objects.get(is_active=True).pk == outcome.version.pk


def test_the_active_model_is_judged_on_the_new_data_not_by_its_stored_figures(db, bundled_dataset):
    # It claims a near-perfect MAE from some other data; re-evaluated on these days it is weak.
    boastful = store_fixed_model(bundled_dataset, model_params(max_depth=1, rounds=20), active=True,
                                 metrics={"cv": {"mae": 1.0, "rmse": 1.0, "r2": 1.0}})
    outcome = versions.train_model_version()
    assert outcome.activated
    assert outcome.comparison.active_mae > 700 and outcome.comparison.rows == 365
    assert outcome.version.metrics["comparison"]["against"] == boastful.pk


def test_a_worse_new_model_is_stored_but_not_activated_and_says_who_won(db, bundled_dataset, settings):
    champion = store_fixed_model(bundled_dataset, model_params(max_depth=2, rounds=150), active=True)
    settings.MODEL_SEARCH = SearchSpace(feature_sets=(FEATURES,), rounds=(5,))  # a crippled challenger
    outcome = versions.train_model_version()
    assert not outcome.activated
    assert f"the active {champion}, which wins by {-outcome.comparison.margin:.1f}" in outcome.reason
    assert ModelVersion.objects.get(is_active=True).pk == champion.pk


def test_a_version_stores_its_interval_offset_and_last_training_day(db):
    version = versions.train_model_version().version
    assert version.interval_offset > 0
    assert 0.75 <= version.interval_coverage <= 0.85
    assert str(version.training_last_date) == "2011-12-31"


def test_ensure_active_model_trains_only_when_nothing_is_active(db):
    first = versions.ensure_active_model()
    again = versions.ensure_active_model()
    assert first.trained is not None and first.active.pk == first.trained.pk and first.active.is_active
    assert again.trained is None and again.active.pk == first.active.pk
    assert ModelVersion.objects.count() == 1


def test_a_version_from_before_named_features_is_re_evaluated_as_a_champion(db, bundled_dataset):
    # The parameters the first release stored: no "features", the three raw inputs implied.
    legacy_params = {"objective": "reg:squarederror", "max_depth": 2, "eta": 0.03, "monotone_constraints": "(0,-1,-1)",
                     "seed": 0, "nthread": 1, "rounds": 300}
    legacy = store_fixed_model(bundled_dataset, legacy_params, active=True)
    outcome = versions.train_model_version()
    assert outcome.comparison.active_mae == pytest.approx(572.7, abs=0.1)  # its documented CV MAE
    assert outcome.version.metrics["comparison"]["against"] == legacy.pk


def test_a_version_activated_by_someone_else_during_training_is_not_silently_replaced(db, bundled_dataset):
    weak = store_fixed_model(bundled_dataset, model_params(max_depth=1, rounds=20), active=True)
    other = store_fixed_model(bundled_dataset, model_params(max_depth=1, rounds=30))

    def meanwhile(message):
        if message.startswith("champion/challenger"):
            versions.activate_model_version(version_id=other.pk)

    outcome = versions.train_model_version(progress=meanwhile)
    assert not outcome.activated and f"{other} was activated while training" in outcome.reason
    assert outcome.previous.pk == weak.pk
    assert ModelVersion.objects.get(is_active=True).pk == other.pk
