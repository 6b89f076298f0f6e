"""How long the admin history dashboard takes with a large history (PostgreSQL only).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bikesite_bench .venv/bin/python bench/dashboard.py --rows 1000000

Fills the history up to --rows predictions spread over the last 365 days (INSERT ... SELECT
generate_series: seconds, not an hour of ORM calls), then times the dashboard page for a 30-day
and a 365-day period, loaded by a logged-in staff user. Use a database of its own: the rows stay.
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# The real settings, with static files that need no collectstatic (as the tests use them).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

FILL = """
    INSERT INTO predictor_prediction (id, temperature, humidity, windspeed, predicted_count,
        outside_training_range, model_version_id, created_at, source)
    SELECT gen_random_uuid(), t, h, w, greatest(0, 4000 - 20 * h + 60 * t), t > 32 OR w > 34, %s,
           now() - random() * interval '365 days', (ARRAY['form', 'api', 'batch'])[1 + (i %% 3)]
    FROM (SELECT i, 15 + 30 * (random() - 0.5) AS t, 30 + 70 * random() AS h, 40 * random() AS w
          FROM generate_series(1, %s) AS i) AS s
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="history size to reach (default 1,000,000)")
    parser.add_argument("--repeat", type=int, default=5, help="timed page loads per period (default 5)")
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from predictor.models import ModelVersion, Prediction

    if connection.vendor != "postgresql":
        sys.exit("bench/dashboard.py needs PostgreSQL (set DATABASE_URL)")
    call_command("migrate", verbosity=0)
    call_command("ensure_model", verbosity=0)
    version = ModelVersion.objects.get(is_active=True)
    have = Prediction.objects.count()
    if have < args.rows:
        print(f"adding {args.rows - have:,} predictions ...", flush=True)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(FILL, [version.pk, args.rows - have])
            cursor.execute("ANALYZE predictor_prediction")
        print(f"  done in {time.perf_counter() - started:.1f} s")
    total = Prediction.objects.count()

    user, _ = get_user_model().objects.get_or_create(
        username="bench", defaults={"is_staff": True, "is_superuser": True})
    client = Client()
    client.force_login(user)
    print(f"history: {total:,} predictions; the dashboard page, {args.repeat} loads per period:")
    for days in (30, 365):
        client.get("/admin/predictor/prediction/dashboard/", {"days": days})  # warm up
        timings = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            response = client.get("/admin/predictor/prediction/dashboard/", {"days": days})
            timings.append(time.perf_counter() - started)
            assert response.status_code == 200, response.status_code
        print(f"  last {days:>3} days: median {statistics.median(timings) * 1000:.0f} ms, "
              f"max {max(timings) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
