"""Admin: the prediction history (read-only, exportable), the model versions with their live
error, and the observed days (editable by staff).

The ModelAdmins are here, where Django's autodiscovery looks; beside them: site (the admin's
title, Django's user and group lists), login_guard (the login's lockouts), params (hostile query
parameters), filters, pagination (no full COUNT(*) of the history) and metrics_table (a
version's metrics as tables).
"""
import datetime as dt

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models.functions import Length
from django.http import HttpResponseBadRequest, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from predictor import figures, observations, versions
from predictor.admin import login_guard  # noqa: F401  (failed and successful logins: django-axes' tables)
from predictor.admin import metrics_table
from predictor.admin import site  # noqa: F401  (the admin's title, Django's user and group lists)
from predictor.admin.filters import labelled_boolean_filter
from predictor.admin.pagination import EstimatedCountPaginator
from predictor.admin.params import HostileInputSafeAdmin
from predictor.history import dashboard
from predictor.history import export as history_export
from predictor.history import search as history_search
from predictor.history import summary as history_summary
from predictor.models import ModelVersion, Observation, Prediction


def compact_time(moment) -> str:
    """2026-11-28 19:43 (UTC): a list's time column, narrow enough for every column to fit."""
    return "–" if moment is None else timezone.localtime(moment, dt.timezone.utc).strftime("%Y-%m-%d %H:%M")


class ModelVersionFilter(admin.SimpleListFilter):
    """Filter by model version, listing versions by id only (never loading their artifacts)."""

    title = "model version"
    parameter_name = "model_version__id__exact"

    def lookups(self, request, model_admin):
        return [(pk, f"v{pk}") for pk in ModelVersion.objects.order_by("-pk").values_list("pk", flat=True)]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        version_id = int(self.value())  # not a number: the hostile-input guard's ?e=1
        try:
            ModelVersion._meta.pk.run_validators(version_id)  # the database's integer range
        except ValidationError:
            return queryset.none()  # no such version; SQLite could not even bind the number
        return queryset.filter(model_version_id=version_id)


@admin.register(Prediction)
class PredictionAdmin(HostileInputSafeAdmin):
    """The append-only history: staff can look and export, nobody can add, change or delete.

    Built to stay fast over millions of rows: the page is read from the created_at index, no
    join (the version shows as its id), no full COUNT(*), and no date hierarchy, whose year
    and month links need a DISTINCT over the whole table (the created_at filter covers dates).
    """

    # When, how many and the interval first: on a phone they are what shows without scrolling
    # sideways; the inputs follow.
    list_display = ("made_at", "rounded_count", "interval_low_display", "interval_high_display",
                    "rounded_temperature", "rounded_humidity", "rounded_wind_speed", "training_range", "version",
                    "source")
    list_filter = ("source", ModelVersionFilter,
                   ("outside_training_range", labelled_boolean_filter("inputs vs training range", "Outside", "Within")),
                   "created_at")
    # The detail page: numbers as people read them, and a link to the public result page.
    fields = ("created_at", "source", "temperature_reading", "humidity_reading", "wind_speed_reading",
              "rounded_count", "interval_display", "training_range", "version_link", "public_page")
    readonly_fields = fields
    ordering = ("-created_at",)
    search_fields = ("id",)  # searched by get_search_results: through the primary key, never a scan
    search_help_text = "A prediction's id, or its first characters (at least 8)."
    list_per_page = 50
    paginator = EstimatedCountPaginator
    # Counting a million rows on every page costs more than the page itself.
    show_full_result_count = False
    list_select_related = False

    class Media:
        css = {"all": ("css/admin-pages.css",)}

    @admin.display(description="Model version", ordering="model_version")
    def version(self, obj):
        return f"v{obj.model_version_id}"  # as ModelVersion.__str__, without loading the version

    def get_search_results(self, request, queryset, search_term):
        return history_search.by_id(queryset, search_term), False

    @admin.display(description="Made (UTC)", ordering="created_at")
    def made_at(self, obj):
        return compact_time(obj.created_at)

    # The inputs to one decimal, as the prediction's page shows them (the CSV export keeps them as
    # typed). Not named after the fields: for a field's name the list shows the field itself.
    @admin.display(description="Temperature (°C)", ordering="temperature")
    def rounded_temperature(self, obj):
        return f"{obj.temperature:.1f}"

    @admin.display(description="Humidity (%)", ordering="humidity")
    def rounded_humidity(self, obj):
        return f"{obj.humidity:.1f}"

    @admin.display(description="Wind speed (km/h)", ordering="windspeed")
    def rounded_wind_speed(self, obj):
        return f"{obj.windspeed:.1f}"

    @admin.display(description="80 % low", ordering="interval_low")
    def interval_low_display(self, obj):
        return "–" if obj.rounded_interval is None else f"{obj.rounded_interval[0]:,}"

    @admin.display(description="80 % high", ordering="interval_high")
    def interval_high_display(self, obj):
        return "–" if obj.rounded_interval is None else f"{obj.rounded_interval[1]:,}"

    @admin.display(description="80 % interval (rentals)")
    def interval_display(self, obj):
        interval = obj.rounded_interval
        return "–" if interval is None else f"{interval[0]:,} to {interval[1]:,}"

    @admin.display(description="Inputs vs training range", ordering="outside_training_range")
    def training_range(self, obj):
        # Words, not Django's boolean icons: a green tick on the risky case read backwards.
        if obj.outside_training_range:
            return mark_safe('<span class="range-flag range-flag--outside">outside</span>')
        return mark_safe('<span class="range-flag range-flag--within">within</span>')

    @admin.display(description="Temperature")
    def temperature_reading(self, obj):
        return f"{obj.temperature:.1f} °C"

    @admin.display(description="Humidity")
    def humidity_reading(self, obj):
        return f"{obj.humidity:.1f} %"

    @admin.display(description="Wind speed")
    def wind_speed_reading(self, obj):
        return f"{obj.windspeed:.1f} km/h"

    @admin.display(description="Model version")
    def version_link(self, obj):
        return format_html('<a href="{}">v{}</a>', reverse("admin:predictor_modelversion_change",
                                                            args=[obj.model_version_id]), obj.model_version_id)

    @admin.display(description="Public page")
    def public_page(self, obj):
        return format_html('<a href="{}">The result page, with its charts</a>',
                           reverse("predictor:result", args=[obj.pk]))

    def get_urls(self):
        view = self.admin_site.admin_view(self.dashboard_view)
        export = self.admin_site.admin_view(self.export_view)
        return [path("dashboard/", view, name="predictor_prediction_dashboard"),
                path("export.csv", export, name="predictor_prediction_export"), *super().get_urls()]

    def export_view(self, request):
        """Every row the list shows with the same filters and search (all pages), as CSV, streamed."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            rows = self.get_changelist_instance(request).get_queryset(request)
        except IncorrectLookupParameters:
            return HttpResponseBadRequest("Unknown filter in the query string: export from the history list.",
                                          content_type="text/plain; charset=utf-8")
        response = StreamingHttpResponse(history_export.csv_chunks(rows, newest_first=True),
                                         content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="predictions.csv"'
        return response

    def dashboard_view(self, request):
        """Staff only (admin_view), and only for those allowed to see the history."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        period, form = dashboard.period_from_query(request.GET)
        history_summary.extend()  # writes only when a day has closed since the last view
        summary = dashboard.history_summary(period)
        sources = dict(Prediction.Source.choices)
        context = {
            **self.admin_site.each_context(request),
            "title": "Prediction history dashboard",
            "opts": self.model._meta,
            "form": form,
            "summary": summary,
            "presets": dashboard.PRESETS,
            "sources": [(source, label, figures.SOURCE_CSS.get(source, "form")) for source, label in sources.items()],
            "per_day": figures.per_day_figure(summary, sources),
            "per_version": figures.per_version_figure(summary),
            "drift": figures.drift_figures(summary),
        }
        return TemplateResponse(request, "admin/predictor/prediction/dashboard.html", context)

    @admin.display(description="Predicted rentals", ordering="predicted_count")
    def rounded_count(self, obj):
        return f"{obj.rounded_count:,}"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ModelVersion)
class ModelVersionAdmin(HostileInputSafeAdmin):
    list_display = ("__str__", "created", "cv_mae_display", "baseline_linear_mae", "interval_display",
                    "live_error_display", "training_rows", "is_active", "activated")
    list_filter = (("is_active", labelled_boolean_filter("status", "Active", "Not active")),)
    actions = ["activate_selected"]
    list_per_page = 20  # each row's live error loads that version's artifact
    fields = ("status", "created_at", "activated_at", "metrics_display", "interval_display", "training_rows",
              "training_last_date", "feature_ranges_display", "params_display", "sha256", "artifact_size",
              "training_data_fingerprint", "notes")
    readonly_fields = tuple(name for name in fields if name != "notes")

    class Media:
        css = {"all": ("css/admin-pages.css",)}

    @admin.display(description="Trained (UTC)", ordering="created_at")
    def created(self, obj):
        return compact_time(obj.created_at)

    @admin.display(description="Last activated (UTC)", ordering="activated_at")
    def activated(self, obj):
        return compact_time(obj.activated_at)

    @admin.display(description="Status")
    def status(self, obj):
        return "Active: it makes every new prediction" if obj.is_active else "Not active"

    @admin.display(description="Metrics")
    def metrics_display(self, obj):
        tables = metrics_table.metrics_tables(obj.metrics, observations.live_error(obj))
        return render_to_string("admin/predictor/modelversion/tables.html", {"tables": tables})

    @admin.display(description="Training range of each input")
    def feature_ranges_display(self, obj):
        ranges = obj.feature_ranges if isinstance(obj.feature_ranges, dict) else {}
        table = metrics_table.Table("The lowest and highest value of each input in the training days",
                                    ["Input", "Lowest", "Highest"],
                                    [[figures.FEATURE_WORDS.get(name, (name,))[0],
                                      *(metrics_table.value_text(name, value) for value in bounds)]
                                     for name, bounds in ranges.items() if isinstance(bounds, (list, tuple))])
        return render_to_string("admin/predictor/modelversion/tables.html", {"tables": [table]})

    @admin.display(description="Training parameters")
    def params_display(self, obj):
        table = metrics_table.mapping_table("XGBoost parameters and the inputs it uses", obj.params)
        return render_to_string("admin/predictor/modelversion/tables.html", {"tables": [table]})

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path("<int:version_id>/activate/", self.admin_site.admin_view(self.activate_view),
                 name="%s_%s_activate" % info),
            path("rollback/", self.admin_site.admin_view(self.rollback_view), name="%s_%s_rollback" % info),
            *super().get_urls(),
        ]

    def _confirm(self, request, *, title, question, button, target, command, error=None):
        context = {**self.admin_site.each_context(request), "opts": self.opts, "title": title,
                   "question": question, "button": button, "target": target, "command": command,
                   "current": versions.active_model_version(), "error": error}
        return TemplateResponse(request, "admin/predictor/modelversion/confirm.html", context,
                                status=400 if error else 200)

    def activate_view(self, request, version_id):
        """Activate one version: a confirmation page, then the same service as `manage.py models activate`."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        version = get_object_or_404(ModelVersion.objects.without_artifacts(), pk=version_id)
        if request.method == "POST":
            version = versions.activate_model_version(version_id=version.pk)
            self.message_user(request, f"Model version {version} is now active; web processes switch within seconds.")
            return HttpResponseRedirect(reverse("admin:predictor_modelversion_change", args=[version.pk]))
        return self._confirm(request, title=f"Activate {version}", button=f"Yes, activate {version}",
                             question=f"Make {version} the active model version?", target=version,
                             command=f"manage.py models activate {version.pk}")

    def rollback_view(self, request):
        """Re-activate the previously active version, as `manage.py models rollback` does."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        previous = versions.previous_model_version()
        if previous is None:
            return self._confirm(request, title="Roll back", question="", button="", target=None,
                                 command="manage.py models rollback",
                                 error="There is no previously active model version to roll back to.")
        if request.method == "POST":
            try:
                version = versions.rollback_model_version()
            except versions.VersionError as error:
                self.message_user(request, f"Nothing rolled back: {error}.", messages.ERROR)
                return HttpResponseRedirect(reverse("admin:predictor_modelversion_changelist"))
            self.message_user(request, f"Rolled back: model version {version} is active again.")
            return HttpResponseRedirect(reverse("admin:predictor_modelversion_change", args=[version.pk]))
        return self._confirm(request, title="Roll back", button=f"Yes, roll back to {previous}",
                             question=f"Roll back to {previous}, the version that was active before?",
                             target=previous, command="manage.py models rollback")

    def get_queryset(self, request):
        # Never load the artifact bytes just to list or show versions.
        return super().get_queryset(request).without_artifacts()

    @admin.display(description="CV MAE")
    def cv_mae_display(self, obj):
        return "–" if obj.cv_mae is None else f"{obj.cv_mae:.1f}"

    @admin.display(description="Linear baseline MAE")
    def baseline_linear_mae(self, obj):
        value = (obj.metrics or {}).get("baseline_linear", {}).get("mae")
        return "–" if value is None else f"{value:.1f}"

    @admin.display(description="80 % interval (CV coverage)")
    def interval_display(self, obj):
        return obj.interval_description

    @admin.display(description="Live MAE (observed days)")
    def live_error_display(self, obj):
        error = observations.live_error(obj)
        if error is None:
            return "no unseen observed days"
        return f"{error.mae:.1f} over {error.days} day{'' if error.days == 1 else 's'}"

    @admin.display(description="Artifact")
    def artifact_size(self, obj):
        size = ModelVersion.objects.filter(pk=obj.pk).annotate(size=Length("artifact")).values_list("size", flat=True)
        return f"{size.first() or 0:,} bytes of XGBoost UBJSON (shown only by size)"

    @admin.action(description="Activate the selected model version")
    def activate_selected(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version to activate.", messages.ERROR)
            return
        version = versions.activate_model_version(version_id=queryset.get().pk)
        self.message_user(request, f"Model version {version} is now active; web processes switch within seconds.")

    def has_add_permission(self, request):
        return False  # versions come from `manage.py train`

    def has_delete_permission(self, request, obj=None):
        # A version that made predictions is protected anyway; the active one must stay.
        return False


@admin.register(Observation)
class ObservationAdmin(HostileInputSafeAdmin):
    """What really happened: staff add and correct days here or import a CSV with
    `manage.py import_observations`."""

    list_display = ("date", "rounded_temperature", "rounded_humidity", "rounded_wind_speed", "rentals", "updated_at")
    date_hierarchy = "date"
    ordering = ("-date",)
    search_fields = ("date",)

    # The inputs as the history list shows them (the form keeps what was typed); counts with separators.
    rounded_temperature = PredictionAdmin.rounded_temperature
    rounded_humidity = PredictionAdmin.rounded_humidity
    rounded_wind_speed = PredictionAdmin.rounded_wind_speed

    @admin.display(description="Rentals", ordering="actual_count")
    def rentals(self, obj):
        return f"{obj.actual_count:,}"
