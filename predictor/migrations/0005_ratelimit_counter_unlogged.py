"""The rate-limit counter becomes an UNLOGGED table on PostgreSQL (see predictor.ratelimit).

Counting a request then commits without waiting for a WAL flush; a crash of the database server
empties the counts of the current window, nothing else. Other databases keep the table as it is.
"""
from django.db import migrations


def _alter(persistence: str):
    def alter(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        table = schema_editor.quote_name(apps.get_model("predictor", "RateLimitCounter")._meta.db_table)
        schema_editor.execute(f"ALTER TABLE {table} SET {persistence}")

    return alter


class Migration(migrations.Migration):

    dependencies = [
        ('predictor', '0004_interval_difficulty_model'),
    ]

    operations = [
        migrations.RunPython(_alter("UNLOGGED"), _alter("LOGGED")),
    ]
