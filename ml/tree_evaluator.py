"""A numpy evaluator of the service's XGBoost models, built from the model's own JSON dump.

XGBoost's predict has a large fixed cost per call; walking the same trees with a handful of
numpy operations per tree level avoids it for the few rows the service predicts at a time.

It reproduces what the service trains (ml.tuning, ml.intervals): gbtree models with the
reg:squarederror objective (prediction = base_score + the sum of the leaves), one output,
any number of trees of any depth. stack() walks several such models of the same features in
one pass, one output each (the count and the interval's difficulty). Any other model raises
UnsupportedModel, and the caller predicts with XGBoost itself.

Missing values (NaN) raise ValueError: the trees' default directions for them are not
modelled. The service never passes NaN: its inputs are validated as finite numbers within
physical bounds, and the dew point derived from them is finite.

Before an evaluator is handed out it is checked against XGBoost on probe rows that straddle
every split threshold, so a model it misreads is refused, never served.
"""
import json

import numpy as np

# The self-check: predictions agree within 1e-3 relative, as in the equivalence tests.
SELF_CHECK_RTOL = 1e-3
# Rows per chunk when predicting many rows: bounds the (rows x trees) scratch arrays.
_CHUNK_CELLS = 1 << 20
_NAN_REFUSED = "missing values (NaN) are not supported"


class UnsupportedModel(ValueError):
    """The model is not one this evaluator reproduces exactly; use XGBoost for it."""


class TreeEnsemble:
    """The trees of one or more models flattened into node arrays, evaluated for all trees at once.

    Nodes are numbered across all trees, inner nodes first, then leaves. left[node] and
    right[node] are the next nodes; leaves point to themselves, so every tree can be walked
    max_depth steps. Output k is base_score[k] plus the leaves of the trees with tree_target k.
    """

    def __init__(self, trees: list[dict], tree_target: np.ndarray, base_score: np.ndarray, num_feature: int):
        lefts = [np.asarray(tree["left_children"], dtype=np.intp) for tree in trees]
        leaf_masks = [left == -1 for left in lefts]
        num_inner = sum(int((~is_leaf).sum()) for is_leaf in leaf_masks)
        num_nodes = sum(len(left) for left in lefts)
        self.feature = np.zeros(num_nodes, dtype=np.intp)  # the feature tested (0 for leaves)
        self.threshold = np.zeros(num_nodes, dtype=np.float32)  # go right when x >= threshold
        self.left = np.empty(num_nodes, dtype=np.intp)
        self.right = np.empty(num_nodes, dtype=np.intp)
        self.leaf_value = np.zeros(num_nodes, dtype=np.float64)  # 0 for inner nodes
        self.roots = np.empty(len(trees), dtype=np.intp)
        self.num_inner, self.max_depth = num_inner, 0
        next_inner, next_leaf = 0, num_inner
        for number, (tree, left, is_leaf) in enumerate(zip(trees, lefts, leaf_masks)):
            is_inner = ~is_leaf
            right = np.asarray(tree["right_children"], dtype=np.intp)
            # Global numbers: this tree's inner nodes, then (after all inner nodes) its leaves.
            to_global = np.empty(len(left), dtype=np.intp)
            to_global[is_inner] = np.arange(next_inner, next_inner + is_inner.sum())
            to_global[is_leaf] = np.arange(next_leaf, next_leaf + is_leaf.sum())
            next_inner, next_leaf = next_inner + is_inner.sum(), next_leaf + is_leaf.sum()
            inner_ids, leaf_ids = to_global[is_inner], to_global[is_leaf]
            conditions = np.asarray(tree["split_conditions"], dtype=np.float32)
            self.feature[inner_ids] = np.asarray(tree["split_indices"], dtype=np.intp)[is_inner]
            self.threshold[inner_ids] = conditions[is_inner]
            self.left[inner_ids] = to_global[left[is_inner]]
            self.right[inner_ids] = to_global[right[is_inner]]
            self.left[leaf_ids] = self.right[leaf_ids] = leaf_ids  # leaves loop to themselves
            self.leaf_value[leaf_ids] = conditions[is_leaf]  # a leaf's split_condition is its value
            self.roots[number] = to_global[0]
            self.max_depth = max(self.max_depth, _depth(left, right))
        if self.feature.max(initial=0) >= num_feature:
            raise UnsupportedModel("a split uses a feature index beyond num_feature")
        self.num_feature = num_feature
        self.num_target = len(base_score)
        self.base_score = np.asarray(base_score, dtype=np.float64)
        # (trees x targets) one-hot: sums each tree into its output with one matrix product,
        # in float64 (at least as precise as XGBoost's own float32 sum).
        self._target_onehot = np.zeros((len(trees), self.num_target))
        self._target_onehot[np.arange(len(trees)), tree_target] = 1.0
        self._inner_feature, self._inner_threshold = self.feature[:num_inner], self.threshold[:num_inner]
        self._inner_left, self._inner_right = self.left[:num_inner], self.right[:num_inner]
        self._leaves = np.arange(num_inner, num_nodes)

    @property
    def num_trees(self) -> int:
        return len(self.roots)

    def predict(self, rows) -> np.ndarray:
        """Predictions for rows (n, num_feature): (n,) for one model, (n, models) for a stack."""
        rows = np.asarray(rows, dtype=np.float32).reshape(-1, self.num_feature)
        if np.isnan(rows).any():
            raise ValueError(_NAN_REFUSED)
        if len(rows) == 1:
            out = self._predict_one(rows[0])[np.newaxis]
        else:
            chunk = max(1, _CHUNK_CELLS // self.num_trees)
            out = np.concatenate([self._predict_many(rows[start:start + chunk])
                                  for start in range(0, max(len(rows), 1), chunk)])
        return out[:, 0] if self.num_target == 1 else out

    def predict_one(self, values) -> np.ndarray:
        """The output(s) for one row given as num_feature numbers: (num_target,) values."""
        if any(value != value for value in values):
            raise ValueError(_NAN_REFUSED)
        return self._predict_one(np.array(values, dtype=np.float32))

    def _predict_one(self, row: np.ndarray) -> np.ndarray:
        """The hot path of a single prediction: every split decided in one vectorised comparison
        gives a "next node" table, and each level of all trees is then a single lookup."""
        next_node = np.concatenate((
            np.where(row[self._inner_feature] >= self._inner_threshold, self._inner_right, self._inner_left),
            self._leaves))
        node = self.roots
        for _ in range(self.max_depth):
            node = next_node[node]
        return self.leaf_value[node] @ self._target_onehot + self.base_score

    def _predict_many(self, rows: np.ndarray) -> np.ndarray:
        node = np.broadcast_to(self.roots, (len(rows), self.num_trees))
        for _ in range(self.max_depth):
            went_right = np.take_along_axis(rows, self.feature[node], axis=1) >= self.threshold[node]
            node = np.where(went_right, self.right[node], self.left[node])
        return self.leaf_value[node] @ self._target_onehot + self.base_score

    def probe_rows(self, *, seed: int = 0, random_rows: int = 256) -> np.ndarray:
        """Rows that exercise every split: each threshold itself, just below it, and random rows."""
        rng = np.random.default_rng(seed)
        columns = []
        for f in range(self.num_feature):
            values = np.unique(self._inner_threshold[self._inner_feature == f])
            if values.size == 0:
                values = np.zeros(1, dtype=np.float32)
            edges = np.concatenate([values, np.nextafter(values, np.float32(-np.inf))])
            low, high = float(values.min()), float(values.max())
            span = max(high - low, 1.0)
            uniform = rng.uniform(low - 0.1 * span, high + 0.1 * span, random_rows).astype(np.float32)
            columns.append((edges, uniform))
        longest = max(len(edges) for edges, _ in columns)
        rows = []
        for edges, uniform in columns:
            # Each feature walks its own thresholds while the others take random values.
            cycled = np.resize(edges, longest)
            rows.append(np.concatenate([cycled, uniform, rng.permutation(cycled)]))
        return np.column_stack(rows).astype(np.float32)


def _depth(left: np.ndarray, right: np.ndarray) -> int:
    """Edges on the longest root-to-leaf path."""
    depth, frontier = 0, np.array([0])
    while True:
        inner = frontier[left[frontier] != -1]
        if inner.size == 0:
            return depth
        frontier = np.concatenate([left[inner], right[inner]])
        depth += 1


def _read(booster) -> tuple[list[dict], float, int]:
    """(trees, base_score, num_feature) of a booster of the one kind the evaluator reproduces."""
    try:
        learner = json.loads(bytes(booster.save_raw(raw_format="json")))["learner"]
        gbtree, params = learner["gradient_booster"], learner["learner_model_param"]
        kind = (gbtree["name"], learner["objective"]["name"], params["num_target"], params["num_class"])
        if kind != ("gbtree", "reg:squarederror", "1", "0"):
            raise UnsupportedModel(f"(booster, objective, num_target, num_class) {kind} is not supported")
        trees, num_feature = gbtree["model"]["trees"], int(params["num_feature"])
        if any(any(tree["split_type"]) or tree["tree_param"]["num_deleted"] != "0" for tree in trees):
            raise UnsupportedModel("categorical splits and deleted nodes are not supported")
        base_score = np.ravel(json.loads(params["base_score"]))  # "[5E-1]" (XGBoost 3) or "5E-1"
    except (KeyError, TypeError, json.JSONDecodeError) as exc:
        raise UnsupportedModel(f"not an XGBoost JSON model as expected ({exc!r})") from None
    if not trees or base_score.size != 1:
        raise UnsupportedModel("a model with no trees or several base scores")
    return trees, float(base_score[0]), num_feature


def stack(boosters) -> TreeEnsemble:
    """One evaluator whose output k is boosters[k]'s prediction: several models of the same features
    walked in one pass (one fixed per-call cost instead of one per model). Each output is proven
    against its booster on probe rows, or UnsupportedModel is raised."""
    models = [_read(booster) for booster in boosters]
    if len({(tuple(booster.feature_names or ()), num_feature)
            for booster, (_, _, num_feature) in zip(boosters, models)}) != 1:
        raise UnsupportedModel("stacked models must share their features")
    ensemble = TreeEnsemble(
        [tree for trees, _, _ in models for tree in trees],
        np.repeat(np.arange(len(models)), [len(trees) for trees, _, _ in models]),
        np.array([base_score for _, base_score, _ in models]), models[0][2])
    probe = ensemble.probe_rows()
    got = ensemble.predict(probe).reshape(len(probe), -1)
    for number, booster in enumerate(boosters):
        expected = booster.inplace_predict(probe)
        atol = SELF_CHECK_RTOL * max(1e-6, float(np.median(np.abs(expected))))  # a floor for predictions near zero
        if np.shape(expected) != (len(probe),) or not np.allclose(
                got[:, number], expected, rtol=SELF_CHECK_RTOL, atol=atol):
            raise UnsupportedModel("the evaluator disagrees with XGBoost on probe rows")
    return ensemble


def from_booster(booster) -> TreeEnsemble:
    """The evaluator of one xgboost.Booster, proven on probe rows, or UnsupportedModel."""
    return stack([booster])
