"""Admin: the prediction history (read-only, exportable), the model versions with their live
error, and the observed days (editable by staff)."""
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models.functions import Length
from django.http import HttpResponseBadRequest, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path

from predictor import (dashboard, figures, history_export, history_search, history_summary, interval_words,
                       observations, versions)
from predictor.models import ModelVersion, Observation, Prediction
from predictor.pagination import EstimatedCountPaginator

class ModelVersionFilter(admin.SimpleListFilter):
    """Filter by model version, listing versions by id only (never loading their artifacts)."""

    title = "model version"
    parameter_name = "model_version__id__exact"

    def lookups(self, request, model_admin):
        return [(pk, f"v{pk}") for pk in ModelVersion.objects.order_by("-pk").values_list("pk", flat=True)]

    def queryset(self, request, queryset):
        return queryset.filter(model_version_id=self.value()) if self.value() else queryset


@admin.register(Prediction)
class PredictionAdmin(admin.ModelAdmin):
    """The append-only history: staff can look and export, nobody can add, change or delete.

    Built to stay fast over millions of rows: the page is read from the created_at index, no
    join (the version shows as its id), no full COUNT(*), and no date hierarchy, whose year
    and month links need a DISTINCT over the whole table (the created_at filter covers dates).
    """

    list_display = ("created_at", "temperature", "humidity", "windspeed", "rounded_count",
                    "outside_training_range", "version", "source")
    list_filter = ("source", ModelVersionFilter, "outside_training_range", "created_at")
    ordering = ("-created_at",)
    search_fields = ("id",)  # searched by get_search_results: through the primary key, never a scan
    search_help_text = "A prediction's id, or its first characters (at least 8)."
    list_per_page = 50
    paginator = EstimatedCountPaginator
    # Counting a million rows on every page costs more than the page itself.
    show_full_result_count = False
    list_select_related = False

    @admin.display(description="Model version", ordering="model_version")
    def version(self, obj):
        return f"v{obj.model_version_id}"  # as ModelVersion.__str__, without loading the version

    def get_search_results(self, request, queryset, search_term):
        return history_search.by_id(queryset, search_term), False

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
        return obj.rounded_count

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ("__str__", "created_at", "cv_mae_display", "baseline_linear_mae", "interval_display",
                    "live_error_display", "training_rows", "is_active", "activated_at")
    list_filter = ("is_active",)
    actions = ["activate_selected"]
    list_per_page = 20  # each row's live error loads that version's artifact
    fields = ("sha256", "artifact_size", "created_at", "is_active", "activated_at", "live_error_display",
              "interval_display", "interval_coverage_display", "params", "metrics", "training_data_fingerprint", "training_rows",
              "training_last_date", "feature_ranges", "notes")
    readonly_fields = tuple(name for name in fields if name != "notes")

    def get_queryset(self, request):
        # Never load the artifact bytes just to list or show versions.
        return super().get_queryset(request).defer("artifact")

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

    @admin.display(description="80 % interval coverage on held-out days")
    def interval_coverage_display(self, obj):
        return interval_words.coverage_words((obj.metrics or {}).get("interval_cv", {})) or "–"

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
class ObservationAdmin(admin.ModelAdmin):
    """What really happened: staff add and correct days here or import a CSV with
    `manage.py import_observations`."""

    list_display = ("date", "temperature", "humidity", "windspeed", "actual_count", "updated_at")
    date_hierarchy = "date"
    ordering = ("-date",)
    search_fields = ("date",)
