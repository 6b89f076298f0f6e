"""Browser tests: the real pages in headless Chromium (Debian's), driven by Playwright.

One browser for all of them (the machine is small); a fresh context per test. The site
runs in pytest-django's live_server on the test database, with the real model.
"""
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from tests.skipping import skip_folder_unless_ci

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# No network beyond the test server, no background downloads, no first-run work; as root in CI
# without a sandbox, and /tmp instead of a possibly tiny /dev/shm.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
# The npm manifest lives here, not at the root: at the root Heroku would detect a Node.js app too.
AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"


def pytest_collection_modifyitems(config, items):
    # CI installs Chromium (.ci/run); elsewhere, say clearly why these are skipped.
    missing = [what for what, ok in [(CHROMIUM, shutil.which(CHROMIUM)), ("playwright", _has_playwright())] if not ok]
    skip_folder_unless_ci(items, "tests/browser/", missing, "browser tests (see .ci/run)")


def _has_playwright() -> bool:
    try:
        import playwright  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture(scope="package")
def browser():
    """One browser for these tests. While it runs, Playwright's sync API keeps an event loop in this
    thread, and the ORM calls that the tests make here (fixtures, assertions on the history) are
    plain synchronous code all the same: allow them, for this package only (`check --deploy` in
    tests/test_settings.py rightly refuses the variable)."""
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class PageProblems:
    """What a person would notice went wrong: console errors (CSP refusals among them), failed loads."""

    def __init__(self, page):
        self.errors = []
        page.on("console", lambda message: message.type == "error" and not message.text.startswith(
            "Failed to load resource") and self.errors.append(message.text))
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        # Pages may answer 400 on purpose (an invalid form); what they load (CSS) must not fail.
        page.on("response", lambda response: response.status >= 400 and response.request.resource_type != "document"
                and not response.url.endswith("/favicon.ico") and self.errors.append(f"{response.status} {response.url}"))


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900},
                                  accept_downloads=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.problems = PageProblems(page)
    yield page
    context.close()


@pytest.fixture
def phone_page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 360, "height": 740},
                                  device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def axe():
    """Run axe-core on a page; returns the serious and critical violations."""
    if not AXE.exists():
        message = f"{AXE} is missing: run `npm ci --prefix tests/browser` (its package-lock.json pins axe-core)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    source = AXE.read_text()

    def check(page) -> list[dict]:
        # evaluate() goes through the DevTools protocol, so a strict CSP on the page does not block it.
        page.evaluate(source)
        results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        return [
            {"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in results["violations"] if v["impact"] in ("serious", "critical")
        ]

    return check


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_superuser("staff", "staff@example.com", "a-long-test-password")


@pytest.fixture
def logged_in(page, staff_user):
    """A page whose browser has logged in to the admin through the login form."""
    page.goto("/admin/login/")
    page.get_by_label("Username").fill("staff")
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")
    return page


def pretty(violations) -> str:
    return json.dumps(violations, indent=1)


RESULT_URL = re.compile(r"/predictions/[0-9a-f-]{36}/$")  # a stored forecast's page
FORM_LABELS = {"temperature": "Temperature", "humidity": "Humidity", "windspeed": "Wind speed"}


def fill_form(page, *, typed: bool = False, **values):
    """Put the given inputs (temperature=..., humidity=..., windspeed=...) in the prediction form's
    fields, found by their labels; typed: key by key into the empty fields, as a keyboard does."""
    for name, value in values.items():
        field = page.get_by_label(FORM_LABELS[name])
        if typed:
            field.press_sequentially(str(value))
        else:
            field.fill(str(value))


def submit_form(page, *, typed: bool = False, **values):
    """Fill the form with values and send it; once the answer has loaded, the page shows the result
    or the form with errors (the form has no script and no browser validation: it always goes)."""
    fill_form(page, typed=typed, **values)
    with page.expect_navigation():
        page.get_by_role("button", name="Forecast rentals").click()


def submit_to_result(page, *, typed: bool = False, **values):
    """Fill the form with values that it accepts and send it: the page is then the stored forecast's."""
    submit_form(page, typed=typed, **values)
    page.wait_for_url(RESULT_URL)


def forecast(page, **values):
    """From a fresh form: the result page of a forecast for these inputs."""
    page.goto("/")
    submit_to_result(page, **values)
