"""The numpy tree evaluator gives XGBoost's predictions (within 1e-3 relative) for the models the
service trains, and refuses every other model (the service then predicts with XGBoost itself)."""
import numpy as np
import pytest
import xgboost as xgb

from ml import tree_evaluator, tuning
from ml.dataset import FEATURES, PHYSICAL_BOUNDS
from ml.features import MODEL_FEATURES, design_matrix

RTOL = 1e-3
# Near a prediction of zero only an absolute tolerance makes sense: XGBoost sums the leaves in
# float32, so its predictions of a few hundred trees carry errors of about 1e-3 rentals.
ATOL = 0.01


def random_physical_inputs(count: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(*PHYSICAL_BOUNDS[name], count) for name in FEATURES])


def assert_same_predictions(ensemble, booster, rows):
    np.testing.assert_allclose(ensemble.predict(rows), booster.inplace_predict(rows), rtol=RTOL, atol=ATOL)


def assert_same_one_by_one(ensemble, booster, rows):
    for row in rows:
        single = row.reshape(1, -1)
        np.testing.assert_allclose(ensemble.predict(single), booster.inplace_predict(single), rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(ensemble.predict_one(tuple(row.tolist())), booster.inplace_predict(single),
                                   rtol=RTOL, atol=ATOL)


@pytest.fixture(scope="module")
def production(trained):
    return trained.booster, tree_evaluator.from_booster(trained.booster)


def model_inputs(booster, rows):
    """The booster's own features (maybe with derived ones) for rows of the three inputs."""
    return design_matrix(rows, booster.feature_names or FEATURES)


def test_evaluator_matches_xgboost_on_the_training_data(production, bundled_dataset):
    booster, ensemble = production
    assert_same_predictions(ensemble, booster, model_inputs(booster, bundled_dataset.X))


def test_evaluator_matches_xgboost_on_100000_random_inputs_across_the_physical_bounds(production):
    booster, ensemble = production
    assert_same_predictions(ensemble, booster, model_inputs(booster, random_physical_inputs(100_000)))


def test_evaluator_matches_xgboost_one_row_at_a_time(production, bundled_dataset):
    booster, ensemble = production
    rows = np.vstack([bundled_dataset.X, random_physical_inputs(2_000, seed=1)])
    assert_same_one_by_one(ensemble, booster, model_inputs(booster, rows))


@pytest.mark.parametrize("features", [FEATURES, MODEL_FEATURES])
def test_evaluator_matches_the_service_s_model_of_either_feature_set(bundled_dataset, features):
    booster = tuning.fit(bundled_dataset.X, bundled_dataset.y, tuning.model_params(2, 400, features))
    ensemble = tree_evaluator.from_booster(booster)
    rows = design_matrix(random_physical_inputs(100_000, seed=2), features)
    assert_same_predictions(ensemble, booster, rows)
    assert_same_one_by_one(ensemble, booster, rows[:300])


def test_evaluator_sends_a_value_equal_to_a_threshold_the_way_xgboost_does(production):
    booster, ensemble = production
    inner = slice(0, ensemble.num_inner)
    rows = np.tile(model_inputs(booster, np.array([[20.0, 60.0, 12.0]])).astype(np.float32), (ensemble.num_inner, 1))
    rows[np.arange(len(rows)), ensemble.feature[inner]] = ensemble.threshold[inner]
    assert_same_predictions(ensemble, booster, rows)
    assert_same_one_by_one(ensemble, booster, rows[:200])


def fit(X, y, rounds: int, **params) -> xgb.Booster:
    return xgb.train({"seed": 0, "nthread": 1, **params}, xgb.DMatrix(X, label=y), num_boost_round=rounds)


@pytest.mark.parametrize("params, rounds", [
    ({}, 100),  # XGBoost's defaults: depth-6 trees
    ({"grow_policy": "lossguide", "max_depth": 0, "max_leaves": 31}, 30),  # unbalanced trees
])
def test_evaluator_matches_xgboost_for_deeper_trees_of_the_same_objective(bundled_dataset, params, rounds):
    booster = fit(bundled_dataset.X, bundled_dataset.y, rounds, **params)
    ensemble = tree_evaluator.from_booster(booster)
    rows = random_physical_inputs(20_000, seed=6)
    assert_same_predictions(ensemble, booster, rows)
    assert_same_one_by_one(ensemble, booster, rows[:200])


def test_a_stacked_evaluator_gives_the_model_and_its_interval_s_difficulty_model_in_one_pass(trained):
    booster, difficulty = trained.booster, trained.interval.booster
    stacked = tree_evaluator.stack([booster, difficulty])
    rows = model_inputs(booster, random_physical_inputs(20_000, seed=3))
    outputs = stacked.predict(rows)
    np.testing.assert_allclose(outputs[:, 0], booster.inplace_predict(rows), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(outputs[:, 1], difficulty.inplace_predict(rows), rtol=RTOL, atol=ATOL)
    for row, expected in zip(rows[:300], outputs[:300]):
        np.testing.assert_allclose(stacked.predict_one(tuple(row.tolist())), expected, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("params", [
    {"booster": "gblinear"},
    {"booster": "dart", "rate_drop": 0.1},
    {"objective": "count:poisson"},  # another link
    {"objective": "reg:absoluteerror"},
    {"objective": "reg:quantileerror", "quantile_alpha": np.array([0.1, 0.5, 0.9])},  # several outputs
])
def test_evaluator_refuses_models_the_service_does_not_train(bundled_dataset, params):
    booster = fit(bundled_dataset.X, bundled_dataset.y + 1, 10, **params)
    with pytest.raises(tree_evaluator.UnsupportedModel):
        tree_evaluator.from_booster(booster)
    with pytest.raises(tree_evaluator.UnsupportedModel):
        tree_evaluator.stack([booster, booster])


def test_evaluator_refuses_categorical_splits():
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.integers(0, 4, 500), rng.random(500), rng.random(500)])
    matrix = xgb.DMatrix(X, label=10 * X[:, 0] + X[:, 1], feature_types=["c", "q", "q"], enable_categorical=True)
    booster = xgb.train({"seed": 0, "nthread": 1, "max_depth": 2, "max_cat_to_onehot": 1}, matrix, 5)
    with pytest.raises(tree_evaluator.UnsupportedModel, match="categorical"):
        tree_evaluator.from_booster(booster)


class Lookalike:
    """A booster as the evaluator sees it: its JSON and its predictions, either of them altered."""

    def __init__(self, booster, *, json=None, shift=0.0):
        self.booster, self.json, self.shift, self.feature_names = booster, json, shift, booster.feature_names

    def save_raw(self, raw_format):
        return self.json if self.json is not None else self.booster.save_raw(raw_format=raw_format)

    def inplace_predict(self, rows):
        return self.booster.inplace_predict(rows) * (1.0 + self.shift)


def test_evaluator_refuses_json_that_is_not_an_xgboost_model_as_expected(production):
    booster, _ = production
    for document in (b'{"learner": {}}', b'{"learner": {"gradient_booster": []}}', b"[]"):
        with pytest.raises(tree_evaluator.UnsupportedModel):
            tree_evaluator.from_booster(Lookalike(booster, json=document))


def test_evaluator_is_refused_when_it_disagrees_with_xgboost_on_the_probe_rows(trained):
    booster, difficulty = trained.booster, trained.interval.booster
    with pytest.raises(tree_evaluator.UnsupportedModel, match="disagrees"):
        tree_evaluator.from_booster(Lookalike(booster, shift=0.01))
    with pytest.raises(tree_evaluator.UnsupportedModel, match="disagrees"):
        tree_evaluator.stack([booster, Lookalike(difficulty, shift=0.01)])


def test_evaluator_refuses_missing_values_rather_than_guess_their_direction(production):
    booster, ensemble = production
    row = model_inputs(booster, np.array([[20.0, 60.0, 12.0]]))[0]
    row[1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        ensemble.predict(row.reshape(1, -1))
    with pytest.raises(ValueError, match="NaN"):
        ensemble.predict(np.vstack([row, row]))
    with pytest.raises(ValueError, match="NaN"):
        ensemble.predict_one(tuple(row.tolist()))


def test_models_of_different_features_are_not_stacked(bundled_dataset):
    def model(names):
        X = design_matrix(bundled_dataset.X, names)
        return xgb.train({"seed": 0, "nthread": 1, "max_depth": 2},
                         xgb.DMatrix(X, label=bundled_dataset.y, feature_names=list(names)), 5)
    with pytest.raises(tree_evaluator.UnsupportedModel, match="share their features"):
        tree_evaluator.stack([model(FEATURES), model(MODEL_FEATURES)])
