"""ml/: data loading and validation, training, honest evaluation, model I/O. No Django here."""
import subprocess
import sys

import numpy as np
import pytest

from ml import model_io
from ml.dataset import BUNDLED_DAILY_CSV, DatasetError, load_daily_csv
from ml.training import fit

HEADER = "date,temperature,humidity,windspeed,count\n"


def write_csv(tmp_path, text):
    path = tmp_path / "daily.csv"
    path.write_text(text)
    return path


def test_bundled_daily_table_has_one_row_per_day_of_2011(bundled_dataset):
    assert bundled_dataset.rows == 365
    assert str(bundled_dataset.dates[0]) == "2011-01-01"
    assert str(bundled_dataset.dates[-1]) == "2011-12-31"
    assert bundled_dataset.y.min() == 431 and bundled_dataset.y.max() == 6043


def test_daily_table_is_derived_from_the_hourly_file_by_the_script(tmp_path):
    from ml.derive_daily import HOURLY_CSV, main

    main([str(HOURLY_CSV), str(tmp_path / "daily.csv")])
    assert (tmp_path / "daily.csv").read_text() == BUNDLED_DAILY_CSV.read_text()


def test_loader_names_the_missing_column(tmp_path):
    path = write_csv(tmp_path, "date,temperature,humidity,count\n2011-01-01,10,50,100\n")
    with pytest.raises(DatasetError, match="missing column.*windspeed"):
        load_daily_csv(path)


def test_loader_names_the_line_of_a_non_numeric_value(tmp_path):
    path = write_csv(tmp_path, HEADER + "2011-01-01,10,50,5,100\n2011-01-02,warm,50,5,100\n")
    with pytest.raises(DatasetError, match="line 3: temperature 'warm' is not a finite number"):
        load_daily_csv(path)


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", ""])
def test_loader_refuses_non_finite_values(tmp_path, value):
    path = write_csv(tmp_path, HEADER + f"2011-01-01,10,{value},5,100\n")
    with pytest.raises(DatasetError, match="line 2: humidity"):
        load_daily_csv(path)


def test_loader_refuses_values_outside_physical_bounds(tmp_path):
    path = write_csv(tmp_path, HEADER + "2011-01-01,10,150,5,100\n")
    with pytest.raises(DatasetError, match="line 2: humidity 150.0 is outside 0..100"):
        load_daily_csv(path)


def test_loader_refuses_bad_dates_and_repeated_dates(tmp_path):
    with pytest.raises(DatasetError, match="line 2: date '01/01/2011'"):
        load_daily_csv(write_csv(tmp_path, HEADER + "01/01/2011,10,50,5,100\n"))
    with pytest.raises(DatasetError, match="line 3: date 2011-01-01 appears twice"):
        load_daily_csv(write_csv(tmp_path, HEADER + "2011-01-01,10,50,5,100\n2011-01-01,11,50,5,100\n"))


def test_loader_refuses_negative_or_fractional_counts(tmp_path):
    with pytest.raises(DatasetError, match="count -3.0 is not a whole number"):
        load_daily_csv(write_csv(tmp_path, HEADER + "2011-01-01,10,50,5,-3\n"))


def test_loader_reports_a_missing_file(tmp_path):
    with pytest.raises(DatasetError, match="no such file"):
        load_daily_csv(tmp_path / "nope.csv")


def test_fingerprint_depends_on_content_not_on_row_order(tmp_path):
    rows = ["2011-01-01,10,50,5,100\n", "2011-01-02,12,60,7,120\n"]
    forward = load_daily_csv(write_csv(tmp_path, HEADER + "".join(rows)))
    backward = load_daily_csv(write_csv(tmp_path, HEADER + "".join(reversed(rows))))
    changed = load_daily_csv(write_csv(tmp_path, HEADER + rows[0] + "2011-01-02,12,60,7,121\n"))
    assert forward.fingerprint == backward.fingerprint
    assert forward.fingerprint != changed.fingerprint


def test_cross_validated_mae_meets_the_target_and_beats_both_baselines(trained):
    metrics = trained.metrics
    assert metrics["folds"] == 12
    assert metrics["cv"]["mae"] <= 580
    assert metrics["cv"]["mae"] < metrics["baseline_linear"]["mae"] < metrics["baseline_mean"]["mae"]


def test_training_is_deterministic(bundled_dataset):
    first = fit(bundled_dataset.X, bundled_dataset.y)
    second = fit(bundled_dataset.X, bundled_dataset.y)
    assert model_io.to_bytes(first) == model_io.to_bytes(second)


def test_model_round_trips_through_ubjson_with_identical_predictions(trained, bundled_dataset):
    artifact = model_io.to_bytes(trained.booster)
    assert artifact[:1] == b"{"  # UBJSON object, not a pickle stream (b"\x80")
    loaded = model_io.from_bytes(artifact, expected_sha256=model_io.sha256(artifact))
    np.testing.assert_array_equal(
        model_io.predict(loaded, bundled_dataset.X), model_io.predict(trained.booster, bundled_dataset.X)
    )


def test_loading_refuses_an_artifact_whose_checksum_does_not_match(trained):
    artifact = model_io.to_bytes(trained.booster)
    with pytest.raises(model_io.ArtifactError, match="sha256"):
        tampered = artifact[:100] + bytes([artifact[100] ^ 1]) + artifact[101:]
        model_io.from_bytes(tampered, expected_sha256=model_io.sha256(artifact))


def test_loading_refuses_bytes_that_are_not_a_model():
    with pytest.raises(model_io.ArtifactError, match="not a loadable XGBoost model"):
        model_io.from_bytes(b"definitely not a model")


def test_ml_package_never_imports_django():
    code = "import sys, ml.dataset, ml.training, ml.model_io, ml.metrics, ml.derive_daily; print('django' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
