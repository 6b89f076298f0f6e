"""The numpy tree evaluator gives XGBoost's predictions (within 1e-3 relative), for any tree model."""
import numpy as np
import pytest
import xgboost as xgb

from ml import tree_evaluator
from ml.dataset import FEATURES, PHYSICAL_BOUNDS
from ml.features import MODEL_FEATURES, design_matrix

RTOL = 1e-3


def random_physical_inputs(count: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(*PHYSICAL_BOUNDS[name], count) for name in FEATURES])


def assert_same_predictions(ensemble, booster, rows):
    np.testing.assert_allclose(ensemble.predict(rows), booster.inplace_predict(rows), rtol=RTOL)


def assert_same_one_by_one(ensemble, booster, rows):
    for row in rows:
        single = row.reshape(1, -1)
        np.testing.assert_allclose(ensemble.predict(single), booster.inplace_predict(single), rtol=RTOL)


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


def test_evaluator_matches_a_model_with_the_derived_dew_point(bundled_dataset):
    X = design_matrix(bundled_dataset.X, MODEL_FEATURES)
    booster = xgb.train({"seed": 0, "nthread": 1, "max_depth": 2, "eta": 0.1},
                        xgb.DMatrix(X, label=bundled_dataset.y, feature_names=list(MODEL_FEATURES)), 150)
    ensemble = tree_evaluator.from_booster(booster)
    rows = design_matrix(random_physical_inputs(100_000, seed=2), MODEL_FEATURES)
    assert_same_predictions(ensemble, booster, rows)
    assert_same_one_by_one(ensemble, booster, rows[:300])


def test_evaluator_sends_a_value_equal_to_a_threshold_the_way_xgboost_does(production):
    booster, ensemble = production
    inner = ensemble.threshold != np.inf
    rows = np.tile(model_inputs(booster, np.array([[20.0, 60.0, 12.0]])).astype(np.float32), (int(inner.sum()), 1))
    rows[np.arange(len(rows)), ensemble.feature[inner]] = ensemble.threshold[inner]
    assert_same_predictions(ensemble, booster, rows)
    assert_same_one_by_one(ensemble, booster, rows[:200])


@pytest.fixture(scope="module")
def data_with_gaps(bundled_dataset):
    """The bundled data with 20% of the values missing, so trees learn default directions."""
    rng = np.random.default_rng(3)
    X = bundled_dataset.X.copy()
    X[rng.random(X.shape) < 0.2] = np.nan
    return X, bundled_dataset.y


def fit(X, y, rounds: int, **params) -> xgb.Booster:
    return xgb.train({"seed": 0, "nthread": 1, **params}, xgb.DMatrix(X, label=y), num_boost_round=rounds)


def test_evaluator_follows_each_nodes_default_direction_for_missing_values(data_with_gaps):
    X, y = data_with_gaps
    booster = fit(X, y, 60, max_depth=4)
    ensemble = tree_evaluator.from_booster(booster)
    rows = random_physical_inputs(20_000, seed=4)
    rows[np.random.default_rng(5).random(rows.shape) < 0.3] = np.nan
    assert_same_predictions(ensemble, booster, rows)
    assert_same_one_by_one(ensemble, booster, rows[:300])


@pytest.mark.parametrize("params, rounds", [
    ({}, 100),  # XGBoost's defaults, as the tutorial's XGBRegressor: depth-6 trees
    ({"max_depth": 10, "eta": 0.3}, 40),  # deep trees: evaluated level by level
    ({"max_depth": 3, "monotone_constraints": "(1,-1,-1)"}, 500),  # many shallow monotone trees
    ({"grow_policy": "lossguide", "max_depth": 0, "max_leaves": 31}, 30),  # unbalanced trees
    ({"num_parallel_tree": 4, "subsample": 0.8, "colsample_bynode": 0.8}, 10),  # boosted forests
    ({"base_score": 1234.5, "max_depth": 2}, 50),
])
def test_evaluator_matches_xgboost_for_other_tree_shapes(bundled_dataset, params, rounds):
    booster = fit(bundled_dataset.X, bundled_dataset.y, rounds, **params)
    ensemble = tree_evaluator.from_booster(booster)
    rows = random_physical_inputs(20_000, seed=6)
    assert_same_predictions(ensemble, booster, rows)
    assert_same_one_by_one(ensemble, booster, rows[:200])


@pytest.mark.parametrize("objective", ["count:poisson", "reg:gamma", "reg:tweedie", "reg:absoluteerror"])
def test_evaluator_applies_the_objectives_link(bundled_dataset, objective):
    booster = fit(bundled_dataset.X, bundled_dataset.y + 1, 50, objective=objective, max_depth=3)
    ensemble = tree_evaluator.from_booster(booster)
    assert_same_predictions(ensemble, booster, random_physical_inputs(20_000, seed=7))


def test_evaluator_predicts_several_quantiles_as_xgboost_does(bundled_dataset):
    booster = fit(bundled_dataset.X, bundled_dataset.y, 50, objective="reg:quantileerror",
                  quantile_alpha=np.array([0.1, 0.5, 0.9]), max_depth=3)
    ensemble = tree_evaluator.from_booster(booster)
    rows = random_physical_inputs(5_000, seed=8)
    assert ensemble.predict(rows).shape == (5_000, 3)
    assert_same_predictions(ensemble, booster, rows)
    assert_same_one_by_one(ensemble, booster, rows[:50])


@pytest.mark.parametrize("params", [{"booster": "gblinear"}, {"booster": "dart", "rate_drop": 0.1}])
def test_evaluator_refuses_models_it_does_not_reproduce(bundled_dataset, params):
    booster = fit(bundled_dataset.X, bundled_dataset.y, 10, **params)
    with pytest.raises(tree_evaluator.UnsupportedModel):
        tree_evaluator.from_booster(booster)


def test_evaluator_refuses_json_that_is_not_an_xgboost_model():
    with pytest.raises(tree_evaluator.UnsupportedModel):
        tree_evaluator.TreeEnsemble.from_json(b'{"learner": {}}')


def test_a_stacked_evaluator_gives_the_model_and_its_interval_s_difficulty_model_in_one_pass(trained):
    booster, difficulty = trained.booster, trained.interval.booster
    stacked = tree_evaluator.stack([booster, difficulty])
    rows = model_inputs(booster, random_physical_inputs(20_000, seed=3))
    outputs = stacked.predict(rows)
    np.testing.assert_allclose(outputs[:, 0], booster.inplace_predict(rows), rtol=RTOL)
    np.testing.assert_allclose(outputs[:, 1], difficulty.inplace_predict(rows), rtol=RTOL)
    for row, expected in zip(rows[:300], outputs[:300]):
        np.testing.assert_allclose(stacked.predict_one(tuple(row.tolist())), expected, rtol=RTOL)


def test_models_of_different_features_are_not_stacked(bundled_dataset):
    def model(names):
        X = design_matrix(bundled_dataset.X, names)
        return xgb.train({"seed": 0, "nthread": 1, "max_depth": 2},
                         xgb.DMatrix(X, label=bundled_dataset.y, feature_names=list(names)), 5)
    with pytest.raises(tree_evaluator.UnsupportedModel, match="share their features"):
        tree_evaluator.stack([model(FEATURES), model(MODEL_FEATURES)])
