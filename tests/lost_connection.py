"""A lost connection as the app meets it: psycopg2's OperationalError, wrapped by Django's."""
import psycopg2
from django.db import OperationalError


def raise_lost_connection(*args, **kwargs):
    try:
        raise psycopg2.OperationalError("server closed the connection unexpectedly")
    except psycopg2.OperationalError as exc:
        raise OperationalError(str(exc)) from exc
