"""The login lockout page as staff meet it in Chromium: the admin's login form, wrong passwords
until the lockout, then the page that says why and for how long. It reads whole at 1280 and 390 px
(nothing cut off or scrolling sideways) and axe finds nothing serious."""
import pytest

from tests.browser.conftest import pretty
from tests.browser.test_admin_layout import OVERFLOW, PHONE, WIDE, shoot


def try_to_log_in(page, password):
    page.get_by_label("Username").fill("staff")
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["1280x900", "390x844"])
def test_the_lockout_page_says_why_and_for_how_long_reads_whole_and_passes_axe(page, staff_user, axe, viewport):
    page.set_viewport_size(viewport)
    page.goto("/admin/login/")
    for n in range(9):
        try_to_log_in(page, f"wrong-{n}")
        assert page.get_by_role("button", name="Log in").is_visible()  # the form again, with its error
    try_to_log_in(page, "wrong-9")
    shoot(page, f"login lockout {viewport['width']}")

    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text() == "Too many failed logins"
    text = page.locator("main").inner_text()
    assert "locked after 10 failed attempts" in text and "Try again in 15 minutes." in text
    assert page.title() == "Login locked – Bike rental forecast"
    assert page.evaluate(OVERFLOW) == {"page": [], "inner": []}
    box = page.locator("main p").first.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
    assert axe(page) == [], pretty(axe(page))
    assert page.problems.errors == []
