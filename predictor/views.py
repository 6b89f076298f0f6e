"""Thin HTTP views: translate requests to service calls and service results to pages; and the
operator's endpoints: liveness, readiness and the Prometheus metrics."""
import hmac
from urllib.parse import urlencode

from django.conf import settings
from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from ml.dataset import FEATURES
from predictor import errors, figures, interval_words, metrics, monitoring, services
from predictor.forms import PRESETS, PredictionForm
from predictor.models import ModelVersion, Prediction
from predictor.typography import UNITS, quantity


@require_http_methods(["GET", "HEAD", "POST"])
def predict_page(request):
    if request.method == "POST":
        form = PredictionForm(request.POST)
        if form.is_valid():
            try:
                prediction = services.predict_and_record(**form.cleaned_data, source=Prediction.Source.FORM)
            except services.ModelUnavailable as exc:
                return errors.model_unavailable(request, exc)
            # Post/Redirect/Get: reloading the result page never records twice.
            return _see_other(reverse("predictor:result", args=[prediction.id]))
        monitoring.inputs_rejected(400, form.errors)
        return render(request, "predictor/predict.html", _form_context(form), status=400)
    # The result page's "change inputs" link comes back with the inputs in the query string.
    initial = {name: request.GET[name] for name in FEATURES if name in request.GET}
    return render(request, "predictor/predict.html", _form_context(PredictionForm(initial=initial)))


def _form_context(form):
    return {"form": form, "model": services.active_version_summary(), "presets": _presets()}


def _presets() -> list[dict]:
    """Typical days as links that come back to the form with its fields filled."""
    return [{"label": label, "url": reverse("predictor:predict") + "?" + urlencode(values),
             "values": ", ".join(quantity(values[name], UNITS[name]) for name in FEATURES)}
            for label, values in PRESETS]


def _see_other(url: str):
    response = redirect(url)
    response.status_code = 303
    return response


@require_GET
def result_page(request, prediction_id):
    prediction = get_object_or_404(
        Prediction.objects.select_related("model_version")
        .defer(*(f"model_version__{name}" for name in ModelVersion.ARTIFACT_FIELDS)), pk=prediction_id
    )
    inputs = {name: getattr(prediction, name) for name in FEATURES}
    context = {
        "prediction": prediction,
        "outside": figures.outside_words(
            services.out_of_range_features(prediction.model_version.feature_ranges, inputs)),
        "inputs": figures.input_quantities(inputs),
        "training_ranges": figures.training_range_words(prediction.model_version.feature_ranges),
        "change_url": reverse("predictor:predict") + "?" + urlencode(inputs),
        "interval_reason": interval_words.for_prediction(prediction),
    }
    explanation = services.explain_prediction(prediction)
    if explanation is not None:
        context["contributions"] = figures.contributions_figure(explanation)
    try:
        what_if = services.predict_what_if(**inputs)
    except services.ModelUnavailable:
        what_if = None  # the stored forecast still shows; only the illustrations are missing
    if what_if is not None:
        context["what_if"] = figures.what_if_figures(what_if)
        context["what_if_version"] = what_if.model_version
        context["what_if_interval"] = what_if.curves["temperature"].interval_lows is not None
        context["what_if_point"] = what_if.curves["temperature"].given_prediction
    return render(request, "predictor/result.html", context)


@require_GET
def healthz(request):
    """Liveness: the process answers."""
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request):
    """Readiness: the database answers and an active model is loaded. The public answer says only
    that and the model version; why not is logged (event=not_ready), never shown."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any database failure means "not ready", never a 500
        monitoring.not_ready("database", f"{exc.__class__.__name__}: {exc}")
        return JsonResponse({"status": "unavailable", "model_version": None}, status=503)
    status = services.model_status()
    if not status["ready"]:
        monitoring.not_ready("model", status["reason"])
        return JsonResponse({"status": "unavailable", "model_version": status["model_version"]}, status=503)
    return JsonResponse({"status": "ok", "model_version": status["model_version"]})


def metrics_endpoint(request):
    """The metrics in Prometheus text format; 404 when METRICS_TOKEN is unset, 401 without it."""
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404("metrics are off")
    offered = request.META.get("HTTP_AUTHORIZATION", "")
    if not hmac.compare_digest(offered.encode(), f"Bearer {token}".encode()):
        response = HttpResponse("A valid bearer token is needed.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body, content_type = metrics.exposition()
    response = HttpResponse(body, content_type=content_type)
    response["Cache-Control"] = "no-store"
    return response
