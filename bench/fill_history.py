"""Fill the benchmark database's prediction history up to N rows, and make a staff user.

Usage (by bench/run.py, DATABASE_URL set): python bench/fill_history.py ROWS USERNAME PASSWORD
The rows are generated inside PostgreSQL (one INSERT ... SELECT), spread over the past year,
so the admin is measured against a history of realistic size and shape.
"""
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bikesite.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402

from predictor.models import ModelVersion, Prediction  # noqa: E402

FILL_SQL = f"""
INSERT INTO {Prediction._meta.db_table}
    (id, temperature, humidity, windspeed, predicted_count, outside_training_range,
     model_version_id, created_at, source)
SELECT gen_random_uuid(), -5 + random() * 40, 20 + random() * 80, random() * 40, random() * 8000,
       random() < 0.05, %s, now() - g * interval '30 seconds', (ARRAY['form', 'api', 'batch'])[1 + g %% 3]
FROM generate_series(1, %s) AS g
"""


def main(rows: int, username: str, password: str) -> None:
    missing = rows - Prediction.objects.count()
    if missing > 0:
        version_id = ModelVersion.objects.filter(is_active=True).values_list("id", flat=True).get()
        with connection.cursor() as cursor:
            cursor.execute(FILL_SQL, [version_id, missing])
            cursor.execute(f"ANALYZE {Prediction._meta.db_table}")
        print(f"added {missing:,} history rows")
    User = get_user_model()
    if not User.objects.filter(username=username).exists():
        User.objects.create_superuser(username=username, email="bench@example.com", password=password)


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], sys.argv[3])
