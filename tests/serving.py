"""A real ``derive serve`` for the tests: started on 127.0.0.1 with a free port, stopped at the end; and the
real Chromium the page tests drive (Playwright from the venv, Debian's /usr/bin/chromium, never a download)."""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
TIMEOUT = 60_000     # ms for one thing to appear on a loaded machine


@contextlib.contextmanager
def chromium():
    """One headless Chromium for a module's page tests (the test is skipped where Playwright is missing)."""
    import pytest
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


SIZES = {"laptop": (1000, 800), "phone": (390, 844)}     # the page tests' two viewports


@contextlib.contextmanager
def sized_page(browser, size_name: str, timeout: int = TIMEOUT):
    """A page at one of ``SIZES``; any script error (or an alert) on it fails the test at its end."""
    w, h = SIZES[size_name]
    context = browser.new_context(viewport={"width": w, "height": h})
    pg = context.new_page()
    pg.set_default_timeout(timeout)
    pg.size_name = size_name
    errors = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("dialog", lambda d: errors.append(f"dialog: {d.message}"))
    try:
        yield pg
    finally:
        context.close()
    assert not errors, errors


def shot(page, name: str, tmp_path: Path) -> None:
    """A full-page screenshot, kept in $DERIVE_SCREENSHOTS when set (to look at), else in the test's folder."""
    folder = Path(os.environ.get("DERIVE_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}-{page.size_name}.png"), full_page=True)


def open_student(page, server) -> None:
    """The student page, once its parameter list is filled in."""
    page.goto(server.url + "/")
    page.wait_for_selector("#param option[value=w11]", state="attached")


class Served:
    """``derive serve --port 0`` in a child process, its working folder and TMPDIR under ``folder``."""

    def __init__(self, folder: Path, *args: str):
        self.cwd, self.tmp = folder / "cwd", folder / "tmp"
        self.cwd.mkdir(parents=True)
        self.tmp.mkdir(parents=True)
        env = dict(os.environ, PYTHONPATH=str(ROOT), TMPDIR=str(self.tmp))
        env.pop("DERIVE_DEBUG", None)
        self.proc = subprocess.Popen([sys.executable, "-m", "derive", "serve", "--port", "0", "--json", *args],
                                     cwd=self.cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        line = self.proc.stdout.readline()          # printed once the app is ready
        if not line:
            raise RuntimeError("derive serve did not start: " + self.proc.stderr.read())
        self.url = json.loads(line)["url"].rstrip("/")

    def post(self, path: str, obj=None, raw: bytes | None = None, ctype="application/json", timeout=60):
        data = raw if raw is not None else json.dumps(obj).encode()
        req = urllib.request.Request(self.url + path, data=data, headers={"Content-Type": ctype}, method="POST")
        return self._open(req, timeout)

    def get(self, path: str, timeout=60):
        return self._open(urllib.request.Request(self.url + path), timeout)

    @staticmethod
    def _open(req, timeout):
        """(status, parsed JSON or text, headers); HTTP errors are answers too."""
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                status, body, headers = r.status, r.read(), r.headers
        except urllib.error.HTTPError as e:
            status, body, headers = e.code, e.read(), e.headers
        text = body.decode("utf-8")
        try:
            return status, json.loads(text), headers
        except ValueError:
            return status, text, headers

    def stop(self) -> str:
        """Stop the server (SIGTERM, then SIGKILL after 10 s); returns its stderr."""
        self.proc.terminate()
        try:
            _, err = self.proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate(timeout=10)
        return err


def wait_for(predicate, seconds: float, step: float = 0.1):
    """Poll ``predicate`` until it is truthy or ``seconds`` pass (bounded: returns the last value)."""
    end = time.monotonic() + seconds
    while True:
        value = predicate()
        if value or time.monotonic() > end:
            return value
        time.sleep(step)
