"""The database backend of a dyno without DATABASE_URL: every use of the database refuses.

On Heroku the filesystem is thrown away at every restart, so falling back to SQLite there would
store history in a file that vanishes. Refusing at settings import would also break the build,
whose collectstatic loads the settings but never the database (and may run with DYNO set: the
buildpack passes it through, heroku-buildpack-python#280). So the refusal comes at the first use
of the database: migrate, release, train, a request, gunicorn's start (predictor/warmup.py).
"""
from django.core.exceptions import ImproperlyConfigured
from django.db.backends.dummy import base

MESSAGE = ("DATABASE_URL is not set. On Heroku attach a PostgreSQL database "
           "(heroku addons:create heroku-postgresql), which sets DATABASE_URL; the dyno's own disk is "
           "wiped at every restart, so there is no SQLite fallback there.")


def refuse(*args, **kwargs):
    raise ImproperlyConfigured(MESSAGE)


class DatabaseOperations(base.DatabaseOperations):
    def quote_name(self, name):  # modules quote table names at import: no database use yet
        return name if name.startswith('"') else f'"{name}"'


class DatabaseClient(base.DatabaseClient):
    runshell = refuse


class DatabaseIntrospection(base.DatabaseIntrospection):
    get_table_list = refuse
    get_table_description = refuse
    get_relations = refuse
    get_indexes = refuse


class DatabaseWrapper(base.DatabaseWrapper):
    _cursor = refuse
    ensure_connection = refuse
    _commit = refuse
    _savepoint_commit = refuse
    _set_autocommit = refuse
    client_class = DatabaseClient
    introspection_class = DatabaseIntrospection
    ops_class = DatabaseOperations
