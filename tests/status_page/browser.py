"""Drives the status page of examples/status.rs in Debian's chromium.

Usage: status_page.py <host:port> <screenshot.png>

Exits non-zero, with the reason, when the page does not behave: every
probe, check and heartbeat shown; a check broken over HTTP turns to fail
within 2 s without a reload, and the timeline gains the change with its
title; a stalled heartbeat's age grows, then it turns late; no console
error; no request leaves 127.0.0.1.
"""

import re
import sys
import urllib.request
from urllib.parse import urlsplit

from playwright.sync_api import expect, sync_playwright

ADDR, SCREENSHOT = sys.argv[1], sys.argv[2]
BASE = f"http://{ADDR}"

# Without the background services, chromium makes no request of its own.
ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions",
]


def post(path):
    request = urllib.request.Request(BASE + path, method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 200, (path, response.status)


def badge(page, subject):
    return page.locator(f'tr[data-subject="{subject}"] .badge')


def seconds(text):
    """`4 s`, `2 min 5 s` as seconds."""
    minutes = re.search(r"(\d+) min", text)
    secs = re.search(r"(\d+) s", text)
    return (int(minutes.group(1)) * 60 if minutes else 0) + (int(secs.group(1)) if secs else 0)


def main():
    errors, outside = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.on("console", lambda message: message.type == "error" and errors.append(message.text))
        page.on("pageerror", lambda error: errors.append(str(error)))

        def seen(request):
            host = urlsplit(request.url).hostname
            if request.url.startswith(("data:", "about:")):
                return
            if host != "127.0.0.1":
                outside.append(request.url)

        page.on("request", seen)
        page.goto(BASE + "/healthz/ui")
        expect(page.locator("#live")).to_have_text("Live updates: connected", timeout=5000)

        for subject in ["live", "ready", "ready/database", "ready/cache", "heartbeat:worker", "started"]:
            expect(page.locator(f'tr[data-subject="{subject}"]')).to_have_count(1)
        expect(badge(page, "ready/database")).to_have_text("PASS")
        expect(badge(page, "ready/cache")).to_have_text("PASS")

        # Marks this document: a reload would lose it.
        page.evaluate("window.notReloaded = true")
        post("/break/database")
        expect(badge(page, "ready/database")).to_have_text("FAIL", timeout=2000)
        expect(badge(page, "ready")).to_have_text("FAIL", timeout=2000)
        # Repainted by the script: the app's signals read as states.
        expect(badge(page, "started")).to_have_text("STARTED")
        expect(badge(page, "shutting down")).to_have_text("NO")
        expect(badge(page, "broken")).to_have_text("NO")
        expect(badge(page, "not ready")).to_have_text("NO")
        failure = page.locator('.tl-row[data-subject="ready/database"] .seg.fail')
        expect(failure).to_have_count(1, timeout=2000)
        label = failure.get_attribute("aria-label")
        assert "Can't connect to the database" in label, label
        assert failure.get_attribute("title") == label
        failure.focus()
        expect(page.locator("#tip")).to_have_text(label)
        post("/mend/database")
        expect(badge(page, "ready/database")).to_have_text("PASS", timeout=2000)
        post("/break/cache")
        expect(badge(page, "ready/cache")).to_have_text("WARN", timeout=2000)
        expect(badge(page, "ready")).to_have_text("WARN", timeout=2000)

        # While the worker beats, the age of its last beat stays within the
        # 2 s period however long the page is open.
        beat_age = page.locator('tr[data-subject="heartbeat:worker"] td').nth(2)
        beating = []
        for _ in range(5):
            page.wait_for_timeout(1000)
            beating.append(seconds(beat_age.inner_text()))
        assert max(beating) <= 2, f"the age of a beating heartbeat grew: {beating}"
        # Stalled, its age grows until it is late: read every half second
        # until the row turns.
        post("/worker/stall")
        ages = [seconds(beat_age.inner_text())]
        for _ in range(16):
            page.wait_for_timeout(500)
            ages.append(seconds(beat_age.inner_text()))
            if badge(page, "heartbeat:worker").inner_text() == "FAIL":
                break
        expect(badge(page, "heartbeat:worker")).to_have_text("FAIL")
        assert ages[-1] >= 2 and ages[-1] > ages[0], f"the stalled heartbeat's ages: {ages}"
        title = page.locator('tr[data-subject="heartbeat:worker"] td').nth(1).inner_text()
        assert "The worker heartbeat is late" in title, title
        post("/worker/resume")
        expect(badge(page, "heartbeat:worker")).to_have_text("PASS", timeout=4000)
        post("/mend/cache")
        expect(badge(page, "ready")).to_have_text("PASS", timeout=2000)

        assert page.evaluate("window.notReloaded === true"), "the page was reloaded"
        # For the screenshot: the database down again, its first failure
        # focused on the timeline.
        post("/break/database")
        expect(badge(page, "ready/database")).to_have_text("FAIL", timeout=2000)
        page.locator('.tl-row[data-subject="ready/database"] .seg.fail').first.focus()
        page.screenshot(path=SCREENSHOT, full_page=True)
        browser.close()

    assert not errors, f"console errors: {errors}"
    assert not outside, f"requests that left 127.0.0.1: {outside}"
    print("the status page passed")


if __name__ == "__main__":
    main()
