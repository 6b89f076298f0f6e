"""A numpy evaluator of an XGBoost tree ensemble, built from the model's own JSON dump.

XGBoost's single-row predict costs 250-350 µs, almost all of it fixed per-call overhead;
walking the same trees with a handful of numpy operations per tree level costs about 15 µs.
The evaluator is generic over gbtree models with scalar leaves: any number of trees, any depth,
several targets (one output per tree), base_score, and each node's default direction for
missing (NaN) values. Anything else (dart, gblinear, categorical splits, vector leaves, an
unknown objective) raises UnsupportedModel, and callers keep using XGBoost itself.

from_booster() also checks the evaluator against XGBoost on probe rows that straddle every
split threshold before handing it out, so a format it misreads is refused, never served.
"""
import json

import numpy as np

# Objectives whose prediction is the raw sum of leaves plus base_score (identity link).
IDENTITY_OBJECTIVES = frozenset({
    "reg:squarederror", "reg:squaredlogerror", "reg:pseudohubererror", "reg:absoluteerror",
    "reg:quantileerror", "reg:linear",
})
# Log-link objectives: prediction = exp(margin); base_score is stored on the output scale.
LOG_LINK_OBJECTIVES = frozenset({"count:poisson", "reg:gamma", "reg:tweedie"})
LOGISTIC_OBJECTIVES = frozenset({"reg:logistic", "binary:logistic"})

# Same tolerance as the equivalence test: predictions agree within 1e-3 relative.
SELF_CHECK_RTOL = 1e-3
# Rows per chunk when predicting many rows: bounds the (rows x trees) scratch arrays.
_CHUNK_CELLS = 1 << 20


class UnsupportedModel(ValueError):
    """The model is not one this evaluator reproduces exactly; use XGBoost for it."""


class TreeEnsemble:
    """All trees of a model flattened into node arrays, evaluated for all trees at once.

    Nodes are numbered across all trees, inner nodes first, then leaves. left[node] and
    right[node] are the next nodes; leaves point to themselves, so every tree can be walked
    max_depth steps. For one row of a small ensemble every split is decided in one vectorised
    comparison, which gives a "next node" table, and each level is then a single lookup.
    """

    def __init__(self, *, feature, threshold, default_right, left, right, leaf_value, num_inner, roots,
                 tree_target, base_margin, max_depth, num_feature, link):
        self.feature = feature  # per node: the feature tested (0 for leaves)
        self.threshold = threshold  # per node: float32 split value; go right when x >= threshold
        self.default_right = default_right  # per node: where a missing value goes
        self.left, self.right = left, right  # per node: the next node either way
        self.leaf_value = leaf_value  # per node: the leaf's value (0 for inner nodes), float64
        self.num_inner = num_inner  # nodes [0, num_inner) are splits, the rest are leaves
        self.roots = roots  # per tree: its root node
        self.tree_target = tree_target  # per tree: which output it adds to
        self.base_margin = base_margin  # per target: the starting margin
        self.max_depth = max_depth
        self.num_feature = num_feature
        self.num_target = len(base_margin)
        self.link = link  # "identity", "log" or "logistic"
        inner = slice(0, num_inner)
        self._inner_feature, self._inner_threshold = feature[inner], threshold[inner]
        self._inner_left, self._inner_right = left[inner], right[inner]
        self._leaves = np.arange(num_inner, len(feature))
        # Deciding every split costs O(nodes); walking level by level costs O(trees x depth)
        # with a larger constant. Full trees up to depth ~4 are cheaper decided all at once.
        self._decide_all_splits = num_inner <= 8 * len(roots) * max(1, max_depth)
        # One-hot (trees x targets): sums each tree into its target with one matrix product.
        self._target_onehot = None
        if self.num_target > 1:
            self._target_onehot = np.zeros((len(roots), self.num_target))
            self._target_onehot[np.arange(len(roots)), tree_target] = 1.0

    @property
    def num_trees(self) -> int:
        return len(self.roots)

    @property
    def num_nodes(self) -> int:
        return len(self.feature)

    def predict(self, rows) -> np.ndarray:
        """Predictions for rows (n, num_feature), shaped as Booster.inplace_predict shapes them."""
        rows = np.asarray(rows, dtype=np.float32).reshape(-1, self.num_feature)
        if len(rows) == 1:
            row = rows[0]
            # A NaN is the one value the plain comparison gets wrong (default directions).
            margin = (self._margin_many(rows) if any(v != v for v in row.tolist())
                      else self._margin_one(row)[np.newaxis, :])
        elif len(rows) == 0:
            margin = np.empty((0, self.num_target))
        else:
            chunk = max(1, _CHUNK_CELLS // self.num_trees)
            margin = np.concatenate([self._margin_many(rows[i:i + chunk]) for i in range(0, len(rows), chunk)])
        out = self._apply_link(margin)
        return out[:, 0] if self.num_target == 1 else out

    def predict_one(self, values) -> np.ndarray:
        """The prediction(s) for one row given as num_feature numbers: (num_target,) values."""
        if any(value != value for value in values):  # NaN: the general path honours default directions
            return self.predict(np.asarray(values, dtype=np.float32).reshape(1, -1)).reshape(-1)
        return self._apply_link(self._margin_one(np.array(values, dtype=np.float32)))

    def _margin_one(self, row: np.ndarray) -> np.ndarray:
        """One row without missing values: the hot path of a single prediction."""
        node = self.roots
        if self._decide_all_splits:
            next_inner = np.where(row[self._inner_feature] >= self._inner_threshold,
                                  self._inner_right, self._inner_left)
            next_node = np.concatenate((next_inner, self._leaves))
            for _ in range(self.max_depth):
                node = next_node[node]
        else:
            for _ in range(self.max_depth):
                node = np.where(row[self.feature[node]] >= self.threshold[node], self.right[node], self.left[node])
        return self._sum_leaves(self.leaf_value[node])

    def _margin_many(self, rows: np.ndarray) -> np.ndarray:
        node = np.broadcast_to(self.roots, (len(rows), self.num_trees))
        for _ in range(self.max_depth):
            value = np.take_along_axis(rows, self.feature[node], axis=1)
            went_right = value >= self.threshold[node]  # False for NaN: fixed below if any
            if np.isnan(value).any():
                went_right = np.where(np.isnan(value), self.default_right[node], went_right)
            node = np.where(went_right, self.right[node], self.left[node])
        return self._sum_leaves(self.leaf_value[node])

    def _sum_leaves(self, leaves: np.ndarray) -> np.ndarray:
        # float64 accumulation: at least as precise as XGBoost's own float32 sum.
        if self._target_onehot is None:
            return leaves.sum(axis=-1)[..., np.newaxis] + self.base_margin
        return leaves @ self._target_onehot + self.base_margin

    def _apply_link(self, margin: np.ndarray) -> np.ndarray:
        if self.link == "log":
            return np.exp(margin)
        if self.link == "logistic":
            return 1.0 / (1.0 + np.exp(-margin))
        return margin

    @classmethod
    def from_json(cls, model) -> "TreeEnsemble":
        """Build from XGBoost's JSON model (bytes, str or the parsed dict)."""
        if isinstance(model, (bytes, bytearray, str)):
            model = json.loads(model)
        try:
            learner = model["learner"]
            booster = learner["gradient_booster"]
            params = learner["learner_model_param"]
            objective = learner["objective"]["name"]
        except (KeyError, TypeError) as exc:
            raise UnsupportedModel(f"not an XGBoost JSON model (missing {exc})") from None
        if booster.get("name") != "gbtree":
            raise UnsupportedModel(f"booster {booster.get('name')!r} is not gbtree")
        link = _link_for(objective)
        num_feature = int(params["num_feature"])
        num_target = max(1, int(params.get("num_target", "1")), int(params.get("num_class", "0")))
        if int(params.get("num_class", "0")) > 1:
            raise UnsupportedModel("multi-class models are not supported")
        base_score = np.atleast_1d(np.asarray(json.loads(params["base_score"]), dtype=np.float64))
        if base_score.size == 1 and num_target > 1:
            base_score = np.repeat(base_score, num_target)
        base_margin = _to_margin(base_score, link)

        trees = booster["model"]["trees"]
        tree_target = np.asarray(booster["model"].get("tree_info", [0] * len(trees)), dtype=np.intp)
        if not trees:
            raise UnsupportedModel("the model has no trees")
        return cls._from_trees(trees, tree_target, base_margin, num_feature, link)

    @classmethod
    def _from_trees(cls, trees, tree_target, base_margin, num_feature, link) -> "TreeEnsemble":
        for tree in trees:
            _check_tree(tree)
        lefts = [np.asarray(tree["left_children"], dtype=np.intp) for tree in trees]
        rights = [np.asarray(tree["right_children"], dtype=np.intp) for tree in trees]
        leaf_masks = [left == -1 for left in lefts]
        num_inner = sum(int((~mask).sum()) for mask in leaf_masks)
        num_nodes = sum(len(left) for left in lefts)
        feature = np.zeros(num_nodes, dtype=np.intp)
        threshold = np.full(num_nodes, np.inf, dtype=np.float32)
        default_right = np.zeros(num_nodes, dtype=bool)
        left_global = np.empty(num_nodes, dtype=np.intp)
        right_global = np.empty(num_nodes, dtype=np.intp)
        leaf_value = np.zeros(num_nodes, dtype=np.float64)
        roots = np.empty(len(trees), dtype=np.intp)
        next_inner, next_leaf, max_depth = 0, num_inner, 0
        for number, (tree, left, right, is_leaf) in enumerate(zip(trees, lefts, rights, leaf_masks)):
            # Global numbers: this tree's inner nodes, then (after all inner nodes) its leaves.
            local_to_global = np.empty(len(left), dtype=np.intp)
            inner_count = int((~is_leaf).sum())
            local_to_global[~is_leaf] = np.arange(next_inner, next_inner + inner_count)
            local_to_global[is_leaf] = np.arange(next_leaf, next_leaf + len(left) - inner_count)
            inner_ids, leaf_ids = local_to_global[~is_leaf], local_to_global[is_leaf]
            conditions = np.asarray(tree["split_conditions"], dtype=np.float32)
            feature[inner_ids] = np.asarray(tree["split_indices"], dtype=np.intp)[~is_leaf]
            threshold[inner_ids] = conditions[~is_leaf]
            default_right[inner_ids] = ~np.asarray(tree["default_left"], dtype=bool)[~is_leaf]
            left_global[inner_ids] = local_to_global[left[~is_leaf]]
            right_global[inner_ids] = local_to_global[right[~is_leaf]]
            left_global[leaf_ids] = right_global[leaf_ids] = leaf_ids  # leaves loop to themselves
            leaf_value[leaf_ids] = conditions[is_leaf]  # a leaf's split_condition is its value
            roots[number] = local_to_global[0]
            max_depth = max(max_depth, _depth(left, right))
            next_inner += inner_count
            next_leaf += len(left) - inner_count

        if feature.max(initial=0) >= num_feature:
            raise UnsupportedModel("a split uses a feature index beyond num_feature")
        return cls(
            feature=feature, threshold=threshold, default_right=default_right,
            left=left_global, right=right_global, leaf_value=leaf_value, num_inner=num_inner,
            roots=roots, tree_target=tree_target, base_margin=base_margin, max_depth=max_depth,
            num_feature=num_feature, link=link,
        )

    def probe_rows(self, *, seed: int = 0, random_rows: int = 256) -> np.ndarray:
        """Rows that exercise every split: each threshold itself, just below it, and random rows."""
        rng = np.random.default_rng(seed)
        inner = self.threshold != np.inf
        per_feature = [np.unique(self.threshold[inner & (self.feature == f)])
                       for f in range(self.num_feature)]
        columns = []
        for values in per_feature:
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
        probe = np.column_stack(rows).astype(np.float32)
        # Some missing values, to check the default directions.
        holes = rng.random(probe.shape) < 0.05
        probe[holes] = np.nan
        return probe


def _link_for(objective: str) -> str:
    if objective in IDENTITY_OBJECTIVES:
        return "identity"
    if objective in LOG_LINK_OBJECTIVES:
        return "log"
    if objective in LOGISTIC_OBJECTIVES:
        return "logistic"
    raise UnsupportedModel(f"objective {objective!r} is not supported")


def _to_margin(base_score: np.ndarray, link: str) -> np.ndarray:
    if link == "log":
        return np.log(base_score)
    if link == "logistic":
        return np.log(base_score / (1.0 - base_score))
    return base_score


def _check_tree(tree: dict) -> None:
    if any(tree.get("split_type", [])):
        raise UnsupportedModel("categorical splits are not supported")
    if int(tree.get("tree_param", {}).get("size_leaf_vector", "1")) > 1:
        raise UnsupportedModel("vector leaves (multi_output_tree) are not supported")
    if int(tree.get("tree_param", {}).get("num_deleted", "0")) != 0:
        raise UnsupportedModel("trees with deleted nodes are not supported")


def _depth(left: np.ndarray, right: np.ndarray) -> int:
    """Edges on the longest root-to-leaf path."""
    depth, frontier = 0, np.array([0])
    while True:
        inner = frontier[left[frontier] != -1]
        if inner.size == 0:
            return depth
        frontier = np.concatenate([left[inner], right[inner]])
        depth += 1


def from_booster(booster, *, rtol: float = SELF_CHECK_RTOL) -> TreeEnsemble:
    """Build the evaluator for an xgboost.Booster and prove it on probe rows, or raise UnsupportedModel."""
    ensemble = TreeEnsemble.from_json(bytes(booster.save_raw(raw_format="json")))
    probe = ensemble.probe_rows()
    expected = booster.inplace_predict(probe)
    got = ensemble.predict(probe)
    if got.shape != np.shape(expected) or not np.allclose(got, expected, rtol=rtol, atol=_atol(expected, rtol)):
        raise UnsupportedModel("the evaluator disagrees with XGBoost on probe rows")
    return ensemble


def _atol(expected, rtol: float) -> float:
    """An absolute floor for predictions near zero: rtol of the typical prediction size."""
    return rtol * max(1e-6, float(np.median(np.abs(expected))) if np.size(expected) else 1.0)


def stack(boosters, *, rtol: float = SELF_CHECK_RTOL) -> TreeEnsemble:
    """One evaluator whose output k is boosters[k]'s prediction: several models of the same features
    walked in one pass (one fixed per-call cost instead of one per model). Each output is proven
    against its booster on probe rows, or UnsupportedModel is raised."""
    parts = [TreeEnsemble.from_json(bytes(booster.save_raw(raw_format="json"))) for booster in boosters]
    if any(part.num_target != 1 or part.link != "identity" for part in parts):
        raise UnsupportedModel("only single-output, identity-link models can be stacked")
    if len({tuple(booster.feature_names or ()) for booster in boosters}) != 1:
        raise UnsupportedModel("stacked models must share their features")
    trees, targets = [], []
    for number, booster in enumerate(boosters):
        model_trees = json.loads(bytes(booster.save_raw(raw_format="json")))["learner"]["gradient_booster"]["model"]["trees"]
        trees += model_trees
        targets += [number] * len(model_trees)
    stacked = TreeEnsemble._from_trees(trees, np.asarray(targets, dtype=np.intp),
                                       np.concatenate([part.base_margin for part in parts]),
                                       parts[0].num_feature, "identity")
    probe = np.concatenate([part.probe_rows() for part in parts])
    got = stacked.predict(probe)
    for number, booster in enumerate(boosters):
        expected = booster.inplace_predict(probe)
        if not np.allclose(got[:, number], expected, rtol=rtol, atol=_atol(expected, rtol)):
            raise UnsupportedModel("the stacked evaluator disagrees with XGBoost on probe rows")
    return stacked
