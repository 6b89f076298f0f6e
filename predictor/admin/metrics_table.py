"""A model version's metrics (a JSON dict) laid out as tables a person reads, for the admin.

Generic on purpose: scores ({"mae", "rmse", "r2"}) of the model and its baselines share one
table; any other dict becomes a small "name: value" table; a list of dicts (per fold, per
quarter, ...) becomes a table with one column per key. New keys written by training show up
without a change here.
"""
from dataclasses import dataclass, field

SCORE_KEYS = ("mae", "rmse", "r2")
SCORE_HEADINGS = {"mae": "MAE", "rmse": "RMSE", "r2": "R²"}
LABELS = {
    "cv": "Model, cross-validated (leave one month out)",
    "baseline_mean": "Baseline: the training mean",
    "baseline_linear": "Baseline: linear regression",
    "train": "Model on its own training days",
    "interval_cv": "80 % interval, cross-validated",
    "interval": "80 % interval of this model",
    "comparison": "Champion/challenger comparison",
    "chosen_per_fold": "Hyper-parameters chosen per fold",
    "folds": "Cross-validation folds",
    "mae": "MAE", "rmse": "RMSE", "r2": "R²", "mean_width": "mean width", "new_mae": "new model's MAE",
    "active_mae": "active model's MAE", "against": "against version", "max_depth": "max depth",
}
# Values in [0, 1] under these names read best as percentages.
SHARES = ("coverage", "level", "share")


def label(key) -> str:
    key = str(key)
    return LABELS.get(key, key.replace("_", " ").capitalize() if "_" in key or key.islower() else key)


def value_text(key, value) -> str:
    """A number as a person reads it: thousands separators, few decimals, shares as %."""
    if isinstance(value, bool) or value is None:
        return {True: "yes", False: "no", None: "–"}[value]
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if any(word in str(key) for word in SHARES) and 0 <= value <= 1:
            return f"{value:.0%}".replace("%", " %")
        if str(key) == "r2" or 0 < abs(value) < 1:
            return f"{value:.3f}"
        return f"{value:,.1f}"
    if isinstance(value, (list, tuple)) and all(not isinstance(item, (dict, list)) for item in value):
        return ", ".join(value_text(key, item) for item in value)
    return str(value)


@dataclass
class Table:
    caption: str
    headings: list[str]
    rows: list[list[str]] = field(default_factory=list)  # the first cell is the row's heading


def metrics_tables(metrics: dict, live_error=None) -> list[Table]:
    """The scores table first (with the live error on observed days), then one per other entry."""
    metrics = metrics if isinstance(metrics, dict) else {}
    scores = Table("Errors in rentals per day (lower is better; R², higher is better)",
                   ["", *SCORE_HEADINGS.values()])
    others, scalars = [], Table("Other figures", ["", "Value"])
    for key, value in metrics.items():
        if isinstance(value, dict) and value and set(value) <= set(SCORE_KEYS):
            scores.rows.append([label(key), *(value_text(name, value.get(name)) for name in SCORE_KEYS)])
        elif isinstance(value, dict):
            others.append(Table(label(key), ["", "Value"],
                                [[label(name), value_text(name, item)] for name, item in value.items()]))
        elif isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            columns = list(dict.fromkeys(name for item in value for name in item))
            others.append(Table(label(key), [label(name) for name in columns],
                                [[value_text(name, item.get(name)) for name in columns] for item in value]))
        else:
            scalars.rows.append([label(key), value_text(key, value)])
    if live_error is not None:
        scores.rows.append([f"Live: observed days it never saw ({live_error.days:,})",
                            value_text("mae", live_error.mae), "–", "–"])
    tables = [scores] if scores.rows else []
    return tables + others + ([scalars] if scalars.rows else [])


def mapping_table(caption: str, mapping: dict) -> Table:
    """Any flat dict (parameters, feature ranges) as a "name: value" table."""
    mapping = mapping if isinstance(mapping, dict) else {}
    return Table(caption, ["", "Value"], [[label(name), value_text(name, value)] for name, value in mapping.items()])
