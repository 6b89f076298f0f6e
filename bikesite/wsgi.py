"""WSGI entry point for gunicorn (see gunicorn.conf.py and the Procfile)."""
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bikesite.settings")
django.setup(set_prefix=False)

from bikesite.lean_api import LeanApiApplication  # noqa: E402  (needs the app registry)

application = LeanApiApplication()
