from django.urls import path

from predictor.api import views

app_name = "api"

urlpatterns = [
    path("predictions", views.create_prediction, name="predictions"),
    path("predictions/batch", views.create_batch, name="batch"),
    path("predictions/<uuid:prediction_id>", views.get_prediction, name="prediction"),
    path("models/active", views.active_model, name="active-model"),
    path("openapi.json", views.openapi_document, name="openapi"),
    path("docs", views.docs_page, name="docs"),
]
