"""What staff read on the admin's pages: every figure rounded as people read it, never a Python
repr, on every admin page with real data; and the history list on a phone shows first when, how
many rentals and the interval."""
import datetime
import re

import pytest
from axes.models import AccessAttempt
from django.contrib import admin
from django.urls import reverse

from predictor import services, versions
from predictor.models import ModelVersion, Observation, Prediction
from tests.browser.test_admin_layout import shoot

PHONE = {"width": 390, "height": 844}
# A dict or list as Python prints it ({'Q1': 0.85, ...}, [0.5, ...], ['temperature', ...]), and a
# float with more than 3 decimals.
RAW_DATA = re.compile(r"""\{\s*['"]|\[\s*['"]|\[\s*-?\d|\d\.\d{4,}""")


@pytest.fixture
def admin_data(active_version, make_version, staff_user):
    """What a live admin holds: a trained model that was activated after another, a challenger
    trained against it (champion/challenger figures), predictions with inputs as typed
    (many decimals) from each door, and observed days after the training data."""
    older = make_version(notes="the one before")
    versions.activate_model_version(version_id=older.pk)
    versions.activate_model_version(version_id=active_version.pk)
    challenger = versions.train_model_version(activate=False).version
    for temperature, humidity, windspeed, source in [(12.3456789, 61.23456, 9.87654, "form"), (25, 50, 10, "api"),
                                                     (-35.55555, 99.99999, 0.00001, "batch"), (31.4159, 42.0, 27.1828, "api")]:
        services.predict_and_record(temperature=temperature, humidity=humidity, windspeed=windspeed, source=source)
    for day, temperature, humidity, windspeed, count in [(1, 3.14159, 55.55555, 12.34567, 1234),
                                                         (2, -1.23456, 70.12345, 20.98765, 987),
                                                         (3, 5.67891, 45.6789, 8.76543, 2345)]:
        Observation.objects.create(date=datetime.date(2012, 1, day), temperature=temperature, humidity=humidity,
                                   windspeed=windspeed, actual_count=count)
    # A guessed password being counted (the login guard's table), as the login would record it.
    AccessAttempt.objects.create(username="mallory", ip_address="203.0.113.7", user_agent="curl/8.5.0",
                                 http_accept="*/*", path_info="/admin/login/", get_data="", post_data="",
                                 failures_since_start=3)
    return active_version, older, challenger


def every_admin_page(active_version, older, challenger, staff_user) -> dict[str, str]:
    """Every list, add and change page of every registered model (its objects: up to three each),
    their history pages, the app indexes, and our own pages (dashboard, activate, roll back)."""
    pages = {"admin home": reverse("admin:index"), "password change": reverse("admin:password_change")}
    for model, model_admin in admin.site._registry.items():
        info = model._meta.app_label, model._meta.model_name
        pages[f"{model.__name__} list"] = reverse("admin:%s_%s_changelist" % info)
        pages[f"{info[0]} index"] = reverse("admin:app_list", args=[info[0]])
        if model_admin.has_add_permission(_Request(staff_user)):
            pages[f"{model.__name__} add"] = reverse("admin:%s_%s_add" % info)
        for obj in model._default_manager.order_by("pk")[:3] if model is not ModelVersion else (
                ModelVersion.objects.without_artifacts().order_by("pk")):
            pages[f"{model.__name__} {obj.pk}"] = reverse("admin:%s_%s_change" % info, args=[obj.pk])
            pages[f"{model.__name__} {obj.pk} history"] = reverse("admin:%s_%s_history" % info, args=[obj.pk])
    newest = Prediction.objects.order_by("-created_at").first()
    pages.update({
        "newest prediction": reverse("admin:predictor_prediction_change", args=[newest.pk]),
        "dashboard": reverse("admin:predictor_prediction_dashboard"),
        "dashboard, 365 days": reverse("admin:predictor_prediction_dashboard") + "?days=365",
        "activate confirmation": reverse("admin:predictor_modelversion_activate", args=[challenger.pk]),
        "rollback confirmation": reverse("admin:predictor_modelversion_rollback"),
    })
    return pages


class _Request:
    """Just enough of a request for has_add_permission."""

    def __init__(self, user):
        self.user = user


def test_no_admin_page_shows_raw_data_or_long_floats(logged_in, admin_data, staff_user):
    page = logged_in
    pages = every_admin_page(*admin_data, staff_user)
    assert len(pages) >= 25
    found, statuses = {}, {}
    for name, url in pages.items():
        response = page.goto(url)
        statuses[name] = response.status
        text = page.locator("body").inner_text()
        hits = {text[max(0, m.start() - 40):m.end() + 20] for m in RAW_DATA.finditer(text)}
        if hits:
            found[name] = sorted(hits)
    assert {name: status for name, status in statuses.items() if status != 200} == {}
    assert found == {}
    # The pages the check matters most for were really read, with their figures.
    page.goto(pages[f"ModelVersion {admin_data[2].pk}"])
    shoot(page, "challenger model version")
    text = page.locator("body").inner_text().lower()  # captions are shown in capitals
    for words in ["coverage by calendar quarter", "coverage by predicted level", "scale", "min difficulty",
                  "champion/challenger comparison", "this version's mae (challenger)", "hyper-parameters chosen"]:
        assert words in text
    assert page.problems.errors == []


def test_model_version_page_explains_the_figures_staff_cannot_be_expected_to_know(logged_in, admin_data):
    page = logged_in
    challenger = admin_data[2]
    page.goto(reverse("admin:predictor_modelversion_change", args=[challenger.pk]))
    for row, words in [("Scale", "multiplier"), ("Min difficulty", "narrower"), ("Against version", "champion"),
                       ("Active version's MAE (champion)", "activated only if"), ("Q4: October to December", None)]:
        cell = page.locator(".metrics-table th[scope=row]", has_text=row).first
        assert cell.is_visible(), row
        if words:
            assert words in cell.locator(".metrics-help").inner_text(), row
    coverage = page.locator(".metrics-table", has_text="coverage by calendar quarter")
    assert all(re.fullmatch(r"\d{1,3}(\.\d)? %", text) for text in coverage.locator("td").all_inner_texts())


def test_history_list_on_a_phone_shows_when_the_count_and_the_interval_without_scrolling(logged_in, admin_data):
    page = logged_in
    page.set_viewport_size(PHONE)
    page.goto(reverse("admin:predictor_prediction_changelist"))
    first = ["made_at", "rounded_count", "interval_low_display", "interval_high_display"]
    for column in first:
        for cell in [page.locator(f"#result_list thead th.column-{column}"),
                     page.locator(f"#result_list tbody td.field-{column}, #result_list tbody th.field-{column}").first]:
            box = cell.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (column, box)
    # The inputs come after them.
    count = page.locator("#result_list thead th.column-rounded_count").bounding_box()
    temperature = page.locator("#result_list thead th.column-rounded_temperature").bounding_box()
    assert temperature["x"] > count["x"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(page, "history list 390")
