"""The running service, headless Chromium and a `Journey` helper for the browser journeys.

The service under test is a real uvicorn process (ASGI, as in production) on a free port, with its
OWN fresh database, never the developer's:

* SQLite (DATABASE_URL empty or unset): a temporary OPENMASH_VAR_DIR holds the database file and the
  secret key, with the `local` settings the README's first command uses;
* PostgreSQL (DATABASE_URL is a postgres URL): a database `openmash_e2e_<pid>` is created on that
  server for the run and dropped at the end.

Each pytest process (each xdist worker) that runs a browser test starts its own server and database,
so the fixtures are safe under `-n`. The journeys are marked `xdist_group("browser")`: with
`--dist loadgroup` they all run in one worker, so one server serves them all and each journey's
prerequisites (the referral recorded by journey 1, …) are built once. Under plain `--dist load` a
worker that gets a later journey builds what it needs itself, so the tests stay correct, only slower.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
STYLESHEET = ROOT / "openmash" / "static" / "build" / "openmash.css"
ARTIFACTS = Path(os.environ.get("OPENMASH_TEST_ARTIFACTS", ROOT / "test-artifacts"))
PASSWORD = "openmash-demo"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path, lines: int = 60) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no output)"


# ------------------------------------------------------------------ the database of the run


class _SqliteDatabase:
    def __init__(self, var_dir: Path):
        self.var_dir = var_dir

    def env(self) -> dict:
        return {"DATABASE_URL": ""}

    def create(self):
        pass  # migrate creates the file in OPENMASH_VAR_DIR

    def drop(self):
        pass  # the temporary directory goes with the work directory

    def __str__(self):
        return f"SQLite in {self.var_dir}"


class _PostgresDatabase:
    def __init__(self, url: str):
        parts = urlsplit(url)
        self.name = f"openmash_e2e_{os.getpid()}"
        self.url = urlunsplit(parts._replace(path="/" + self.name))
        # The maintenance database, to create and drop ours from.
        self.admin_url = urlunsplit(parts._replace(path="/postgres"))

    def _execute(self, *statements):
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=10) as conn:
            for statement, params in statements:
                conn.execute(sql.SQL(statement).format(name=sql.Identifier(self.name)), params)

    def env(self) -> dict:
        return {"DATABASE_URL": self.url}

    def create(self):
        # A database left by a run of this pid that was killed before it could clean up goes first.
        self.drop()
        self._execute(("CREATE DATABASE {name}", None))

    def drop(self):
        self._execute(
            ("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [self.name]),
            ("DROP DATABASE IF EXISTS {name}", None),
        )

    def __str__(self):
        return f"PostgreSQL database {self.name}"


@dataclass
class Server:
    base_url: str
    database: str
    log: Path


def _wait_for_health(base_url: str, process: subprocess.Popen, log: Path, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"The service exited with {process.returncode} before answering /healthz:\n{_tail(log)}")
        try:
            with urllib.request.urlopen(base_url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    pytest.fail(f"The service did not answer /healthz within {timeout:.0f} s:\n{_tail(log)}")


@pytest.fixture(scope="session")
def _prepared_database():
    """Start migrating and seeding a fresh database in the background; the fixture that needs it
    waits for it, so Chromium starts meanwhile (seed_demo hashes 21 passwords with argon2)."""
    if not STYLESHEET.exists():
        pytest.fail(f"{STYLESHEET.relative_to(ROOT)} is missing: run ./scripts/setup.sh to compile the stylesheet")
    if not AXE.exists():
        pytest.fail(f"{AXE.relative_to(ROOT)} is missing: run ./scripts/setup.sh to install the front-end packages")
    url = os.environ.get("DATABASE_URL", "")
    if url and not url.startswith(("postgres://", "postgresql://")):
        pytest.fail(f"The browser journeys run on SQLite or PostgreSQL; DATABASE_URL={url!r} is neither")

    workdir = Path(tempfile.mkdtemp(prefix="openmash-e2e-"))
    # The settings keep the SQLite file and the generated secret key in OPENMASH_VAR_DIR: a fresh one,
    # never the checkout's var/.
    var_dir = workdir / "var"
    var_dir.mkdir()
    database = _PostgresDatabase(url) if url else _SqliteDatabase(var_dir)
    env = {
        **os.environ,
        **database.env(),
        "OPENMASH_VAR_DIR": str(var_dir),
        "DJANGO_SETTINGS_MODULE": "openmash.config.settings.local",
        "DJANGO_DEBUG": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DJANGO_SECRET_KEY", None)
    log = workdir / "server.log"
    # One interpreter for both commands (`manage.py migrate --noinput`, then `manage.py seed_demo`):
    # Django starts once instead of twice.
    setup = (
        "import django; django.setup(); from django.core.management import call_command; "
        "call_command('migrate', interactive=False, verbosity=0); call_command('seed_demo')"
    )
    seeding = None
    try:
        database.create()
        with open(log, "wb") as out:
            seeding = subprocess.Popen([sys.executable, "-c", setup], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        yield database, env, seeding, log
    finally:
        if seeding is not None and seeding.poll() is None:
            seeding.kill()
            seeding.wait()
        try:
            database.drop()
        finally:
            shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def server(_prepared_database, browser) -> Server:
    database, env, seeding, log = _prepared_database
    if seeding.wait(timeout=180) != 0:
        pytest.fail(f"migrate / seed_demo failed for {database}:\n{_tail(log)}")
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "openmash.config.asgi:application", "--host", "127.0.0.1",
             "--port", str(port), "--no-access-log", "--log-level", "warning"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_health(base_url, process, log)
        yield Server(base_url=base_url, database=str(database), log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        # Server errors (tracebacks) are in the log: keep it with the other artifacts.
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(log, ARTIFACTS / f"server-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}.log")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("OPENMASH_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(executable).exists():
        pytest.fail(
            f"Chromium was not found at {executable}: install Debian's chromium package (./scripts/test.sh does, "
            "as root) or set OPENMASH_CHROMIUM to its path"
        )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


# ------------------------------------------------------------------ a journey


@dataclass
class Violation:
    page: str
    url: str
    rule: str
    impact: str
    help: str
    targets: list[str]
    why: str

    def __str__(self):
        return (
            f"  [{self.impact}] {self.rule} – {self.help}\n    on {self.page} ({self.url})\n"
            f"    at {', '.join(self.targets)}\n    {self.why}"
        )


# A page answering 400 (a form with errors) or 404 makes Chromium log this for the document itself.
_EXPECTED_CONSOLE = re.compile(r"^Failed to load resource: the server responded with a status of (400|404)\b")


@dataclass
class Journey:
    """One user's path through the service: every page visited is checked with axe-core and saved
    as a full-page screenshot; console errors and failed sub-resources are collected too."""

    name: str
    browser: object
    base_url: str
    violations: list[Violation] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)
    _n: int = 0

    def __post_init__(self):
        self.screens = ARTIFACTS / "screenshots" / self.name
        self.screens.mkdir(parents=True, exist_ok=True)
        # Old screenshots go, file by file: under plain `--dist load` two workers may run the same
        # journey (each building its own prerequisites), and the folder must not vanish under either.
        for old in self.screens.iterdir():
            old.unlink(missing_ok=True)
        self._axe_source = AXE.read_text()
        self.context = None
        self.new_browser()

    # -- the browser

    def new_browser(self):
        """A fresh browser profile (no cookies), e.g. another person at another desk."""
        if self.context is not None:
            self.context.close()
        # The service's Content-Security-Policy stays on (bypass_csp is NOT used): a page the CSP
        # breaks shows up as a console error. axe-core is injected through the DevTools protocol
        # (page.evaluate), which the CSP does not govern, instead of a <script> element.
        self.context = self.browser.new_context(
            base_url=self.base_url, viewport={"width": 1280, "height": 900}, locale="en-GB",
            timezone_id="Europe/London",
        )
        self.context.set_default_timeout(10_000)
        self.page = self.context.new_page()
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda exc: self.console_errors.append(f"{self.page.url}: uncaught {exc}"))
        self.page.on("response", self._on_response)
        return self.page

    def _on_console(self, message):
        if message.type == "error" and not _EXPECTED_CONSOLE.match(message.text):
            self.console_errors.append(f"{self.page.url}: {message.text}")

    def _on_response(self, response):
        # A page answering 400 (form errors) or 404, loaded or fetched by htmx, is a deliberate error
        # state; a stylesheet, script, font or image that fails to load is not.
        deliberate = response.status in (400, 404) and response.request.resource_type in ("document", "fetch", "xhr")
        if response.status >= 500:
            self.console_errors.append(f"{response.url} answered {response.status}: see the server log")
        elif response.status >= 400 and not deliberate:
            self.console_errors.append(f"{response.url} answered {response.status} ({response.request.resource_type})")

    def close(self):
        if self.context is not None:
            self.context.close()
            self.context = None

    # -- every page

    def check(self, slug: str):
        """Run axe-core on the page as it is now, and save a full-page screenshot."""
        page = self.page
        page.wait_for_load_state("load")
        self._n += 1
        self.pages.append(f"{self._n:02d}-{slug} {page.url}")
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(self._axe_source)
        result = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
            WCAG_TAGS,
        )
        for v in result["violations"]:
            self.violations.append(Violation(
                page=f"{self._n:02d}-{slug}", url=page.url, rule=v["id"], impact=v.get("impact") or "",
                help=v["help"], targets=[" ".join(map(str, node["target"])) for node in v["nodes"]],
                # axe's "Fix any of the following: …" for the first element, on one line.
                why=" ".join((v["nodes"][0].get("failureSummary") or "").split()) if v["nodes"] else "",
            ))
        page.screenshot(path=str(self.screens / f"{self._n:02d}-{slug}.png"), full_page=True)

    def goto(self, path: str, slug: str):
        self.page.goto(path)
        self.check(slug)

    # -- actions every journey needs

    def sign_in(self, username: str, password: str = PASSWORD):
        page = self.page
        if "/sign-in/" not in page.url:
            page.goto("/")
        self.check("sign-in")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password", exact=True).fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/sign-in/" not in url)

    def sign_out(self):
        self.page.get_by_role("button", name="Sign out").click()
        self.page.wait_for_url("**/sign-in/")

    def report(self) -> str:
        lines = []
        if self.violations:
            lines.append(f"{len(self.violations)} WCAG 2.2 AA violation(s) found by axe-core in journey {self.name!r}:")
            lines += [str(v) for v in self.violations]
        if self.console_errors:
            lines.append(f"Console or loading errors in journey {self.name!r}:")
            lines += [f"  {e}" for e in self.console_errors]
        if lines:
            lines.append(f"Screenshots: {self.screens}")
        return "\n".join(lines)

    def assert_clean(self):
        __tracebackhide__ = True
        if self.violations or self.console_errors:
            pytest.fail(self.report(), pytrace=False)


_JOURNEYS: list[Journey] = []


@pytest.fixture(scope="session")
def start_journey(browser, server):
    def _start(name: str) -> Journey:
        journey = Journey(name=name, browser=browser, base_url=server.base_url)
        _JOURNEYS.append(journey)
        return journey

    yield _start
    while _JOURNEYS:
        _JOURNEYS.pop().close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """When a journey fails part-way, keep the page it failed on (screenshot and HTML)."""
    report = yield
    if report.failed and report.when in ("setup", "call") and _JOURNEYS and _JOURNEYS[-1].context is not None:
        journey = _JOURNEYS[-1]
        try:
            journey.page.screenshot(path=str(journey.screens / "zz-failure.png"), full_page=True)
            (journey.screens / "zz-failure.html").write_text(journey.page.content())
            report.sections.append(("browser", f"The page at failure ({journey.page.url}): {journey.screens}/zz-failure.png"))
        except Exception as exc:  # noqa: BLE001 - a broken browser must not hide the real failure
            report.sections.append(("browser", f"Could not save the page at failure: {exc}"))
    return report
