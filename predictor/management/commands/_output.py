"""Shared rendering for the model commands: the metrics table."""


def metrics_table(rows: list[tuple[str, dict | None]]) -> str:
    """Rows of (label, {"mae", "rmse", "r2"}) as an aligned text table."""
    lines = [f"{'':<28}{'MAE':>9}{'RMSE':>9}{'R²':>8}"]
    for label, metrics in rows:
        if not metrics:
            lines.append(f"{label:<28}{'–':>9}{'–':>9}{'–':>8}")
        else:
            lines.append(f"{label:<28}{metrics['mae']:>9.1f}{metrics['rmse']:>9.1f}{metrics['r2']:>8.3f}")
    return "\n".join(lines)
