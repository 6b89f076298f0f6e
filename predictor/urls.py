from django.urls import path

from predictor import views

app_name = "predictor"

urlpatterns = [
    path("", views.predict_page, name="predict"),
    path("predictions/<uuid:prediction_id>/", views.result_page, name="result"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
]
