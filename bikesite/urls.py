import os

from django.contrib import admin
from django.urls import include, path

# The admin URL can be moved away from the well-known /admin/ by the environment.
ADMIN_URL = os.environ.get("ADMIN_URL", "admin/").strip("/") + "/"

urlpatterns = [
    path(ADMIN_URL, admin.site.urls),
    path("", include("predictor.urls")),
]
