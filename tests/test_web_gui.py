"""The web GUI of `mda serve` in a real headless Chromium (Playwright, Debian's binary).

Each test drives the pages a person uses against a real `mda serve`, a real worker and
an offline run or session (the scripted model): approving a run's gates until it
completes, the new run and new session forms, chatting in a session, the run page on a
phone, the API token prompt. Two replay the API's answers in the browser for what an
offline run cannot show on cue (a stream cut mid-way, a run waiting on its budget).
A static check makes sure the pages build their DOM without HTML strings or inline code.

Chromium comes from `bash scripts/install-chromium.sh`; without it the browser tests
skip (and fail under CI=true). Every browser test saves a screenshot under its
`tmp_path`; with MDA_SCREENSHOTS=DIR the README's screenshots are written to DIR too:

    MDA_SCREENSHOTS=docs/screenshots MDA_TEST_DATABASE=sqlite \\
        .venv/bin/python -m pytest -p no:cacheprovider tests/test_web_gui.py
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Route,
    ViewportSize,
    expect,
    sync_playwright,
)

from api_harness import ApiServer
from my_deepagent.api.app import STATIC

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}
WAIT_MS = 120_000
MIN_TAP_PX = 44
REQUIREMENTS = "Add a due date to todo items and list the overdue ones."
TOKEN = "x" * 32
REPORT_NOT_YET = r"404 \(Not Found\) \(\S+/report\?format=md\)$"
"""The report is written just after a run's last event: the page tries again."""
SCREENSHOTS = (
    Path(os.environ["MDA_SCREENSHOTS"]).resolve() if os.environ.get("MDA_SCREENSHOTS") else None
)
"""Read at import: the `mda_home` fixture removes every MDA_* variable from the test's
environment."""
README_SCREENSHOTS = frozenset({"runs", "run-gate", "run-phone", "session", "budget"})
INSTALL_HINT = "no `chromium` on PATH: install it with `bash scripts/install-chromium.sh`"


# --- fixtures ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium_binary() -> str:
    """Debian's Chromium; skips without it, except under CI, where it must be there."""
    found = shutil.which("chromium")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail(INSTALL_HINT)
        pytest.skip(INSTALL_HINT)
    return found


@pytest.fixture
def browser(chromium_binary: str) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_binary, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


class Console:
    """What the pages said in the browser's console: a CSP violation, a script error."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def watch(self, page: Page) -> Page:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        return page

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"{message.text} ({message.location.get('url', '')})")

    def assert_clean(self, *, allow: str | None = None) -> None:
        left = [e for e in self.errors if allow is None or not re.search(allow, e)]
        assert not left, left


@pytest.fixture
def console() -> Console:
    return Console()


def new_page(browser: Browser, console: Console, *, phone: bool = False) -> Page:
    context: BrowserContext = browser.new_context(
        viewport=PHONE if phone else DESKTOP, is_mobile=phone, has_touch=phone
    )
    context.set_default_timeout(WAIT_MS)
    return console.watch(context.new_page())


SHORTEN_PATHS = """([long, short]) => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.nodeValue.includes(long)) node.nodeValue = node.nodeValue.replaceAll(long, short);
  }
}"""


def snap(page: Page, tmp_path: Path, name: str) -> None:
    """A screenshot of the viewport under `tmp_path`; the README's ones under
    MDA_SCREENSHOTS too, with the test's temporary folder shown as `~` (a committed
    picture names no machine's paths)."""
    page.screenshot(path=tmp_path / f"{name}.png")
    if SCREENSHOTS is not None and name in README_SCREENSHOTS:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.evaluate(SHORTEN_PATHS, [str(tmp_path), "~"])
        page.screenshot(path=SCREENSHOTS / f"{name}.png")


# --- helpers ----------------------------------------------------------------------


def start_run(api: ApiServer) -> str:
    """An offline spec-and-review run, started through the API; its id."""
    answer = api.client().post(
        "/api/runs",
        json={
            "template": "spec-and-review@1",
            "repo": str(api.env.repo),
            "requirements": REQUIREMENTS,
            "offline": True,
        },
    )
    assert answer.status_code == 201, answer.text
    run_id: str = answer.json()["run_id"]
    return run_id


def run_state(page: Page) -> str:
    state: str = page.locator("#run-state").get_attribute("data-state") or ""
    return state


def wait_gate_or_end(page: Page) -> None:
    """Until the page shows a pending gate, or the run has ended."""
    page.wait_for_function(
        """() => !document.getElementById("gate").hidden
            || ["completed", "failed", "rejected", "aborted"]
                 .includes(document.getElementById("run-state").dataset.state)""",
        timeout=WAIT_MS,
    )


def no_horizontal_scroll(page: Page) -> None:
    widths: dict[str, int] = page.evaluate(
        "() => ({page: document.documentElement.scrollWidth, window: window.innerWidth})"
    )
    assert widths["page"] <= widths["window"], widths


def box(page: Page, selector: str) -> dict[str, float]:
    found = page.locator(selector).bounding_box()
    assert found is not None, f"{selector} is not shown"
    return {"x": found["x"], "width": found["width"], "height": found["height"]}


# --- runs --------------------------------------------------------------------------


def test_run_is_approved_gate_by_gate_until_it_completes(
    api: ApiServer, browser: Browser, console: Console, tmp_path: Path
) -> None:
    run_id = start_run(api)
    page = new_page(browser, console)
    page.goto(f"{api.url}/runs")
    row = page.locator(f'tr[data-run-id="{run_id}"]')
    expect(row).to_be_visible()
    expect(row.locator(".badge")).to_have_text(re.compile("running|awaiting approval"))
    snap(page, tmp_path, "runs")

    row.locator("a.run-link").click()
    expect(page).to_have_url(re.compile(rf"/run\?id={run_id}$"))
    approved: list[str] = []
    deadline = time.monotonic() + WAIT_MS / 1000
    while time.monotonic() < deadline:
        wait_gate_or_end(page)
        if run_state(page) != "awaiting_approval" and page.locator("#gate").is_hidden():
            break
        gate = page.locator("#gate").get_attribute("data-gate-id") or ""
        expect(page.locator("#approve")).to_be_visible()
        if not approved:
            expect(page.locator("#artifacts .artifact")).to_have_count(1)
            snap(page, tmp_path, "run-gate")
        page.locator("#approve").click()
        expect(page.locator("#notice")).to_contain_text(gate)
        expect(page.locator("#gate")).to_be_hidden()
        approved.append(gate)
    assert approved == ["spec:1", "review:1"]

    expect(page.locator("#run-state")).to_have_text("completed")
    expect(page.locator("#report")).to_be_visible()
    expect(page.locator("#report")).not_to_be_empty()
    expect(page.locator("#artifacts .artifact")).to_have_count(3)
    expect(page.locator("#artifacts pre").first).to_contain_text('"title":')
    expect(page.locator('#events li[data-type="approval.granted"]')).to_have_count(2)
    expect(page.locator('#events li[data-type="run.completed"]')).to_have_count(1)
    expect(page.locator("#stream-state")).to_have_text("ended (completed)")
    link = page.locator("#web-ui-link")
    if link.count():
        assert (link.get_attribute("href") or "").startswith("http")
    expect(page.locator("#gate")).to_be_hidden()
    expect(page.locator("#abort")).to_be_hidden()
    expect(page.locator("#error")).to_be_hidden()
    snap(page, tmp_path, "run-completed")

    page.goto(f"{api.url}/budget")
    expect(page.locator('#budget-lines tr[data-scope="day"]')).to_be_visible()
    expect(page.locator("#stats-lines tr").first).to_be_visible()
    snap(page, tmp_path, "budget")
    console.assert_clean(allow=REPORT_NOT_YET)


def test_run_page_on_a_phone(
    api: ApiServer, browser: Browser, console: Console, tmp_path: Path
) -> None:
    run_id = start_run(api)
    page = new_page(browser, console, phone=True)
    page.goto(f"{api.url}/run?id={run_id}")
    expect(page.locator("#approve")).to_be_visible()
    expect(page.locator("#artifacts .artifact")).to_have_count(1)
    viewport = page.viewport_size
    assert viewport == PHONE
    for button in ("#approve", "#request-changes", "#reject", "#abort"):
        found = box(page, button)
        assert found["x"] >= 0, (button, found)
        assert found["x"] + found["width"] <= viewport["width"], (button, found)
        assert found["height"] >= MIN_TAP_PX, (button, found)
    no_horizontal_scroll(page)
    page.locator("#gate").evaluate("gate => gate.scrollIntoView({block: 'start'})")
    snap(page, tmp_path, "run-phone")

    page.locator("#approve").tap()
    expect(page.locator("#gate")).to_be_hidden()
    expect(page.locator('#events li[data-type="approval.granted"]')).to_have_count(1)
    expect(page.locator("#notice")).to_contain_text("spec:1")
    no_horizontal_scroll(page)

    for path in ("/runs", "/sessions", "/budget"):
        page.goto(f"{api.url}{path}")
        expect(page.locator("nav a")).to_have_count(3)
        page.wait_for_load_state("networkidle")
        no_horizontal_scroll(page)
        assert box(page, "nav a[aria-current]")["height"] >= MIN_TAP_PX
    console.assert_clean()


def test_new_run_and_new_session_forms_start_them(
    api: ApiServer, browser: Browser, console: Console, tmp_path: Path
) -> None:
    page = new_page(browser, console)
    page.goto(f"{api.url}/runs")
    expect(page.locator("#template")).to_have_value("spec-and-review@1")
    expect(page.locator("#template-help")).not_to_be_empty()
    page.locator("#repo").fill(str(api.env.repo / "missing"))
    page.locator("#requirements").fill(REQUIREMENTS)
    page.locator("#offline").check()
    page.locator("#start-run").click()
    expect(page.locator("#error")).to_be_visible()  # one line, no popup
    assert "\n" not in (page.locator("#error").text_content() or "")
    snap(page, tmp_path, "new-run-refused")
    expect(page).to_have_url(re.compile(r"/runs$"))

    page.locator("#repo").fill(str(api.env.repo))
    page.locator("#personas").fill("reviewer=nobody@1")
    page.locator("#start-run").click()
    expect(page.locator("#error")).to_contain_text("nobody")  # the override was sent

    page.locator("#personas").fill("reviewer=scripted-reviewer@1")
    page.locator("#budget-usd").fill("2.50")
    page.locator("#start-run").click()
    expect(page).to_have_url(re.compile(r"/run\?id=[0-9a-f]+$"))
    expect(page.locator("#approve")).to_be_visible()
    expect(page.locator("#error")).to_be_hidden()
    caps = {
        line["scope"]: line["cap_usd"] for line in api.client().get("/api/budget").json()["lines"]
    }
    assert caps.get("run") == "2.50", caps  # the run's cap came from the form

    page.goto(f"{api.url}/sessions")
    expect(page.locator("#sessions-empty")).to_be_visible()
    page.locator("#session-repo").fill(str(api.env.repo))
    page.locator("#session-offline").check()
    page.locator("#start-session").click()
    expect(page).to_have_url(re.compile(r"/session\?id=[0-9a-f]+$"))
    expect(page.locator("#session-state")).to_have_text("active")
    expect(page.locator("#message-input")).to_be_editable()
    snap(page, tmp_path, "new-session")
    console.assert_clean(allow=r"400 \(Bad Request\)")


def sse_event(event_id: int, kind: str) -> str:
    view = {
        "id": event_id,
        "type": kind,
        "phase": None,
        "payload": {},
        "at": "2026-01-01T00:00:00Z",
    }
    return f"id: {event_id}\nevent: run_event\ndata: {json.dumps(view)}\n\n"


def test_run_stream_reconnects_with_the_last_event_id_and_stops_at_end(
    api: ApiServer, browser: Browser, console: Console, tmp_path: Path
) -> None:
    """The stream is cut after event 1: the page asks again about a second later with
    Last-Event-ID 1, gets event 2 and `end`, and asks no more."""
    run_id = start_run(api)
    asked: list[tuple[float, str | None]] = []

    def cut_stream(route: Route) -> None:
        asked.append((time.monotonic(), route.request.all_headers().get("last-event-id")))
        if len(asked) == 1:
            body = "retry: 1000\n\n: a comment line\n\n" + sse_event(1, "phase.started")
        else:
            ended = 'event: end\r\ndata: {"state":"completed"}\r\n\r\n'
            body = sse_event(2, "phase.completed") + ended
        route.fulfill(status=200, headers={"Content-Type": "text/event-stream"}, body=body)

    page = new_page(browser, console)
    page.route(re.compile(r"/api/runs/[^/]+/stream"), cut_stream)
    page.goto(f"{api.url}/run?id={run_id}")
    expect(page.locator("#stream-state")).to_have_text("ended (completed)")
    expect(page.locator("#events li")).to_have_count(2)
    kinds = page.locator("#events li").evaluate_all("items => items.map(i => i.dataset.type)")
    assert kinds == ["phase.started", "phase.completed"]
    page.wait_for_timeout(2500)
    assert [header for _, header in asked] == [None, "1"], asked
    assert asked[1][0] - asked[0][0] >= 0.9, asked
    snap(page, tmp_path, "run-reconnected")
    console.assert_clean()


def test_budget_gate_offers_the_suggested_cap_and_abort_asks_twice(
    api: ApiServer, browser: Browser, console: Console, tmp_path: Path
) -> None:
    """A run waiting on its budget (the API's answers replayed by the browser): the
    Raise field holds the suggested cap and sends what it holds; Abort needs two taps."""
    run_id = "0" * 32
    base = f"/api/runs/{run_id}"
    detail = {
        "run_id": run_id, "workflow_id": f"run-{run_id}", "state": "running",
        "template": "spec-and-review@1", "repo": "~/repo", "base": "main", "error": None,
        "created_at": "2026-01-01T00:00:00+00:00", "finished_at": None,
        "phases": [{"key": "spec", "state": "running", "round": 1}],
        "pending_gate": None,
        "pending_budget": {
            "scope": "run", "cap_usd": "0.50", "spent_usd": "0.48", "needed_usd": "0.04",
            "policy": "prompt", "suggested_usd": "1.00",
        },
        "web_ui": f"workflow run-{run_id} in namespace default",
    }  # fmt: skip
    sent: list[tuple[str, Any]] = []

    def answer(route: Route) -> None:
        path = route.request.url.split(api.url, 1)[1].split("?", 1)[0]
        if route.request.method == "POST":
            sent.append((path.removeprefix(base), route.request.post_data_json))
            route.fulfill(json={"message": f"sent {path.rsplit('/', 1)[1]}"})
        elif path == base:
            route.fulfill(json=detail)
        elif path == f"{base}/artifacts":
            route.fulfill(json={"artifacts": []})
        else:  # the stream: nothing yet, then the run has ended
            route.fulfill(
                headers={"Content-Type": "text/event-stream"},
                body='retry: 60000\n\nevent: end\ndata: {"state":"running"}\n\n',
            )

    page = new_page(browser, console)
    page.route(re.compile(rf"/api/runs/{run_id}"), answer)
    page.goto(f"{api.url}/run?id={run_id}")
    expect(page.locator("#budget-gate")).to_be_visible()
    expect(page.locator("#budget-text")).to_contain_text("$0.04")
    expect(page.locator("#raise-usd")).to_have_value("1.00")
    expect(page.locator("#gate")).to_be_hidden()
    expect(page.locator("#web-ui-link")).to_have_count(0)
    expect(page.locator("#web-ui")).to_have_text(f"workflow run-{run_id} in namespace default")
    snap(page, tmp_path, "run-budget-gate")

    page.locator("#raise-usd").fill("2.5")
    page.locator("#raise").click()
    expect(page.locator("#notice")).to_have_text("sent budget")
    assert sent == [("/budget", {"usd": "2.5"})]

    abort = page.locator("#abort")
    expect(abort).to_be_visible()
    abort.click()
    expect(abort).to_have_text("Tap again to abort")
    assert len(sent) == 1
    abort.click()
    expect(page.locator("#notice")).to_have_text("sent abort")
    assert sent[1] == ("/abort", {})
    console.assert_clean()


# --- sessions ------------------------------------------------------------------------


PROGRESS_WATCH = """() => {
  window.progressSeen = [];
  const line = document.getElementById("progress");
  new MutationObserver(() => {
    if (!line.hidden && line.textContent) window.progressSeen.push(line.textContent);
  }).observe(line, {childList: true, characterData: true, subtree: true, attributes: true});
}"""


def test_session_chat_sends_a_message_and_shows_the_reply(
    api: ApiServer, browser: Browser, console: Console, tmp_path: Path
) -> None:
    created = api.client().post("/api/sessions", json={"repo": str(api.env.repo), "offline": True})
    assert created.status_code == 201, created.text
    session_id: str = created.json()["session_id"]

    page = new_page(browser, console)
    page.goto(f"{api.url}/sessions")
    page.locator(f'tr[data-session-id="{session_id}"] a.session-link').click()
    expect(page).to_have_url(re.compile(rf"/session\?id={session_id}$"))
    expect(page.locator("#session-state")).to_have_text("active")
    expect(page.locator("#turns")).to_have_text("0")
    page.evaluate(PROGRESS_WATCH)

    page.locator("#message-input").fill("read README.md")
    page.locator("#send").click()
    expect(page.locator("#send")).to_be_disabled()
    reply = page.locator("#messages li.role-assistant").last
    expect(reply).to_contain_text("README.md has")
    expect(page.locator("#messages li.role-user").last).to_contain_text("read README.md")
    expect(page.locator("#turns")).to_have_text("1")
    expect(page.locator("#progress")).to_be_hidden()
    expect(page.locator("#send")).to_be_enabled()
    expect(page.locator("#message-input")).to_have_value("")
    seen: list[str] = page.evaluate("() => window.progressSeen")
    assert seen, "the progress line never showed during the turn"
    counted = [line for line in seen if "model call" in line]
    for line in counted:  # the worker's heartbeat, when the stream caught one mid-turn
        assert re.search(r"\d+ model calls? · ", line), line

    page.locator("#message-input").fill("thanks, and what did I ask first?")
    page.locator("#message-input").press("Control+Enter")
    expect(page.locator("#messages li.role-assistant").last).to_contain_text(
        "Your first message was"
    )
    expect(page.locator("#turns")).to_have_text("2")
    expect(page.locator("#error")).to_be_hidden()
    snap(page, tmp_path, "session")

    page.locator("#end-session").click()
    page.locator("#end-session").click()  # the second tap confirms
    expect(page.locator("#session-state")).to_have_text("ended")
    expect(page.locator("#send")).to_be_disabled()
    console.assert_clean()


# --- the token ---------------------------------------------------------------------------


def test_token_is_asked_for_once_and_sent_on_every_call(
    api: ApiServer, browser: Browser, console: Console, tmp_path: Path
) -> None:
    run_id = start_run(api)
    guarded = ApiServer.start(api.env, token=TOKEN)
    try:
        page = new_page(browser, console)
        page.goto(f"{guarded.url}/runs")
        form = page.locator("#token-form")
        expect(form).to_be_visible()
        expect(page.locator(f'tr[data-run-id="{run_id}"]')).to_have_count(0)

        page.locator("#token-input").fill("not-the-token")
        page.locator("#token-submit").click()
        expect(form).to_contain_text("refused")
        page.locator("#token-input").fill(TOKEN)
        page.locator("#token-submit").click()
        expect(form).to_have_count(0)
        expect(page.locator(f'tr[data-run-id="{run_id}"]')).to_be_visible()
        expect(page.locator("#template option").first).to_be_attached()
        stored: Any = page.evaluate("() => sessionStorage.getItem('mda.api_token')")
        assert stored == TOKEN

        page.goto(f"{guarded.url}/run?id={run_id}")  # the token is kept for the tab
        expect(page.locator("#approve")).to_be_visible()
        expect(page.locator("#stream-state")).to_have_text("live")
        expect(page.locator("#token-form")).to_have_count(0)
        snap(page, tmp_path, "token")
        console.assert_clean(allow=r"401 \(Unauthorized\)")
    finally:
        guarded.stop()


# --- the pages themselves ------------------------------------------------------------------


FORBIDDEN = {
    "innerHTML": re.compile(r"innerHTML"),
    "outerHTML": re.compile(r"outerHTML"),
    "insertAdjacentHTML": re.compile(r"insertAdjacentHTML"),
    "document.write": re.compile(r"document\.write"),
    "eval(": re.compile(r"\beval\s*\("),
    "new Function": re.compile(r"new\s+Function\b"),
    "an inline handler": re.compile(r"<[^>]*\son[a-z]+\s*=", re.I),
    "an inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "a style attribute": re.compile(r"<[^>]*\sstyle\s*=", re.I),
    "a remote resource": re.compile(r"(?:src|href)\s*=\s*[\"']?(?:https?:)?//", re.I),
    "a CSS import or remote url": re.compile(r"@import|url\(\s*[\"']?(?:https?:)?//", re.I),
}


def test_static_files_hold_no_html_strings_or_inline_code() -> None:
    files = sorted(p for p in STATIC.rglob("*") if p.is_file())
    names = {p.name for p in files}
    pages = {"runs.html", "run.html", "sessions.html", "session.html", "budget.html"}
    assert pages <= names, names
    assert "style.css" in names
    for path in files:
        text = path.read_text(encoding="utf-8")
        for what, pattern in FORBIDDEN.items():
            found = pattern.search(text)
            assert found is None, f"{path.name} has {what}: {found.group(0) if found else ''}"
        if path.suffix == ".html":
            assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in text
            scripts = re.findall(r"<script\b[^>]*>", text)
            assert scripts == [f'<script type="module" src="/static/{path.stem}.js">'], scripts
            for link in ("/runs", "/sessions", "/budget"):
                assert f'href="{link}"' in text, (path.name, link)
