"""A model version's metrics (a JSON dict) laid out as tables a person reads, for the admin.

Generic on purpose: scores ({"mae", "rmse", "r2"}) of the model and its baselines share one
table; any other dict becomes a small "name: value" table, and a dict inside it (coverage by
quarter, ...) a table of its own; a list of dicts (per fold, ...) becomes a table with one
column per key. New keys written by training show up without a change here, and nothing is
ever shown as a Python repr: numbers are rounded (at most 3 decimals), shares read as
percentages, counts carry thousands separators.

HELP holds the one-line explanation of each figure a staff member cannot be expected to know;
docs/admin.md and docs/model.md say more.
"""
from dataclasses import dataclass, field

from predictor.figures import FEATURE_WORDS

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
    "coverage_by_quarter": "Coverage by calendar quarter",
    "coverage_by_predicted_quartile": "Coverage by predicted level",
    "mae": "MAE", "rmse": "RMSE", "r2": "R²", "mean_width": "Mean width", "min_width": "Narrowest",
    "max_width": "Widest", "new_mae": "This version's MAE (challenger)",
    "active_mae": "Active version's MAE (champion)", "against": "Against version", "rows": "Days scored",
    "max_depth": "Max depth", "min_difficulty": "Min difficulty", "eta": "Learning rate (eta)",
    "monotone_constraints": "Monotone constraints", "nthread": "Threads", "sha256": "SHA-256",
    "month": "Month held out", "features": "Inputs",
    "Q1": "Q1: January to March", "Q2": "Q2: April to June", "Q3": "Q3: July to September",
    "Q4": "Q4: October to December",
    "L1": "L1: the quarter of days predicted lowest", "L2": "L2: the second quarter",
    "L3": "L3: the third quarter", "L4": "L4: the quarter of days predicted highest",
}
HELP = {
    # the scores
    "cv": "Each month predicted by a model trained without it: the error to expect on a new day.",
    "baseline_mean": "Predicts the training days' average every day; any model must beat it.",
    "baseline_linear": "A straight-line fit of the three inputs; the model should beat it clearly.",
    "train": "Scored on the days it learned from: always flattering; compare with the cross-validated row.",
    "live": "Its MAE over the observed days after its training data ends (days it never saw).",
    "mae": "Mean absolute error: how many rentals a forecast is off by on an average day.",
    # the interval
    "interval_cv": "How often the 80 % range held the real count, on days the model had not seen.",
    "interval": "How each forecast's 80 % range is made: forecast ± scale × difficulty of the day's weather.",
    "coverage_by_quarter": "Below 80 % means the range was too narrow in that part of the year.",
    "coverage_by_predicted_quartile": "The held-out days split into four equal groups by their forecast.",
    "coverage": "Share of held-out days whose real count fell inside the range (the aim: 80 %).",
    "level": "The share of days the range is meant to hold.",
    "method": "The range is wider on days whose weather the model found hard to forecast.",
    "scale": "The multiplier on the difficulty, calibrated so that 80 % of held-out days fall inside.",
    "min_difficulty": "The smallest expected error a day can get: no range is narrower than 2 × scale × this.",
    "mean_width": "The average distance from the low to the high end, in rentals.",
    "sha256": "Checksum of the difficulty model, checked on every load.",
    # the champion/challenger comparison
    "comparison": ("Before activating, this version and the active one were refitted and scored on the "
                   "same days by the same folds; the lower MAE wins."),
    "against": "The version that was active when this one was trained (the champion).",
    "rows": "Both models were scored on these same days.",
    "new_mae": "This version's cross-validated error on those days (the challenger).",
    "active_mae": "The champion's error on the same days; this version is activated only if it does better.",
    # training
    "folds": "How many months were held out in turn, one at a time.",
    "chosen_per_fold": ("Inside each held-out month, an inner cross-validation chose these; the stored "
                        "model's come from the same search over all days."),
    "objective": "Squared error: each tree corrects the mean count.",
    "eta": "How much each tree corrects the ones before it.",
    "seed": "Fixed, so the same data gives the same model, byte for byte.",
    "nthread": "CPU threads used for training.",
    "max_depth": "How many questions each tree asks; 2 lets two inputs act together.",
    "monotone_constraints": "−1: rentals never rise with that input (humidity, wind); 0: free (temperature).",
    "rounds": "How many trees the model adds up.",
    "features": "The inputs the model reads; the dew point is computed from temperature and humidity.",
}
# Values in [0, 1] under names containing these words, or under these names, read best as percentages.
SHARES = ("coverage", "level", "share")
SHARE_KEYS = ("Q1", "Q2", "Q3", "Q4", "L1", "L2", "L3", "L4")
# Floats under these names are rentals: whole numbers.
RENTALS = ("width", "difficulty")
MAX_DECIMALS = 3


def label(key) -> str:
    key = str(key)
    if key in LABELS:
        return LABELS[key]
    return key.replace("_", " ").capitalize() if "_" in key or key.islower() else key


def _trimmed(value: float) -> str:
    """At most 3 decimals, trailing zeros dropped: 1.699 for 1.6990208882684639, 0.1 for 0.1."""
    text = f"{value:,.{MAX_DECIMALS}f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def value_text(key, value) -> str:
    """A number as a person reads it: thousands separators, few decimals, shares as %."""
    key = str(key)
    if isinstance(value, bool) or value is None:
        return {True: "yes", False: "no", None: "–"}[value]
    if isinstance(value, int):
        return f"v{value}" if key == "against" else f"{value:,}"
    if isinstance(value, float):
        if (key in SHARE_KEYS or any(word in key for word in SHARES)) and 0 <= value <= 1:
            return f"{value * 100:.{0 if key == 'level' else 1}f} %"  # the level is a round target
        if key in FEATURE_WORDS:  # an input: as the history shows it
            return f"{value:.1f} {FEATURE_WORDS[key][1]}"
        if any(word in key for word in RENTALS):
            return f"{value:,.0f} rentals"
        if key == "r2":
            return f"{value:.3f}"
        if abs(value) >= 100 or key in SCORE_KEYS or key.endswith("_mae"):
            return f"{value:,.1f}"
        return _trimmed(value)
    if key == "features" and isinstance(value, (list, tuple)):
        return ", ".join(FEATURE_WORDS.get(name, (str(name),))[0].lower() for name in value).capitalize()
    if isinstance(value, (list, tuple)):
        return ", ".join(value_text(key, item) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{label(name)} {value_text(name, item)}" for name, item in value.items())
    return str(value)


@dataclass
class Table:
    caption: str
    headings: list[str]
    rows: list[list[str]] = field(default_factory=list)  # the first cell is the row's heading
    helps: list[str] = field(default_factory=list)  # per row: a line on what its figure means ("" for none)
    note: str = ""  # one line under the caption: what the whole table is about

    def add(self, cells: list[str], help_text: str = "") -> None:
        self.rows.append(cells)
        self.helps.append(help_text)

    @property
    def lines(self):
        """(row heading, its help, the other cells) for the template."""
        return [(row[0], self.helps[i] if i < len(self.helps) else "", row[1:]) for i, row in enumerate(self.rows)]


def metrics_tables(metrics: dict, live_error=None) -> list[Table]:
    """The scores table first (with the live error on observed days), then one per other entry."""
    metrics = metrics if isinstance(metrics, dict) else {}
    scores = Table("Errors in rentals per day (lower is better; R², higher is better)",
                   ["", *SCORE_HEADINGS.values()], note=HELP["mae"])
    others, scalars = [], Table("Other figures", ["", "Value"])
    for key, value in metrics.items():
        if isinstance(value, dict) and value and set(value) <= set(SCORE_KEYS):
            scores.add([label(key), *(value_text(name, value.get(name)) for name in SCORE_KEYS)], HELP.get(key, ""))
        elif isinstance(value, dict):
            others.extend(dict_tables(key, value))
        elif isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            others.append(list_table(key, value))
        else:
            scalars.add([label(key), value_text(key, value)], HELP.get(key, ""))
    if live_error is not None:
        scores.add([f"Live: observed days it never saw ({live_error.days:,})",
                    value_text("mae", live_error.mae), "–", "–"], HELP["live"])
    tables = [scores] if scores.rows else []
    return tables + others + ([scalars] if scalars.rows else [])


def dict_tables(key, mapping: dict, parent: str = "") -> list[Table]:
    """A dict as a "name: value" table, then each dict inside it as a table of its own."""
    caption = f"{parent}: {label(key).lower()}" if parent else label(key)
    table = Table(caption, ["", "Value"], note=HELP.get(key, ""))
    nested = []
    for name, value in mapping.items():
        if isinstance(value, dict):
            nested.extend(dict_tables(name, value, parent=caption))
        else:
            table.add([label(name), value_text(name, value)], HELP.get(name, ""))
    return ([table] if table.rows or not nested else []) + nested


def list_table(key, items: list[dict]) -> Table:
    """A list of dicts (one per fold, ...) as a table with one column per key."""
    columns = list(dict.fromkeys(name for item in items for name in item))
    table = Table(label(key), [label(name) for name in columns], note=HELP.get(key, ""))
    for item in items:
        table.add([value_text(name, item.get(name)) for name in columns])
    return table


def mapping_table(caption: str, mapping: dict) -> Table:
    """Any flat dict (parameters, feature ranges) as a "name: value" table."""
    mapping = mapping if isinstance(mapping, dict) else {}
    table = Table(caption, ["", "Value"])
    for name, value in mapping.items():
        table.add([label(name), value_text(name, value)], HELP.get(name, ""))
    return table
