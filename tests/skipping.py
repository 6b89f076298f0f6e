"""Skipping a folder of tests whose tools are missing: with the reason, and never in CI."""
import os

import pytest


def skip_folder_unless_ci(items, folder: str, missing: list[str], needs: str) -> None:
    """Mark the tests under folder as skipped when missing is not empty, outside CI only
    (CI installs everything; there a missing tool must fail the run, not hide it)."""
    if not missing or os.environ.get("CI"):
        return
    skip = pytest.mark.skip(reason=f"{needs} need {', '.join(missing)}")
    for item in items:
        if folder in str(item.fspath):
            item.add_marker(skip)
