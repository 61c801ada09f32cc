"""Security headers and cookies: the Content-Security-Policy with a fresh nonce on every
response, nosniff, the referrer policy, no framing; and in production HSTS, HTTPS only and
secure, HttpOnly, SameSite cookies."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


def _directives(header: str) -> dict[str, list[str]]:
    found = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            found[words[0]] = words[1:]
    return found


@pytest.fixture
def page_response(client, alice, design):
    client.force_login(alice)
    return client.get(design.get_absolute_url())


def test_pages_carry_a_strict_content_security_policy(page_response):
    policy = _directives(page_response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["script-src"][0] == "'self'"
    assert re.fullmatch(r"'nonce-[\w+/=-]+'", policy["script-src"][1])
    # The design page hosts the live editor, whose CodeMirror adds <style> elements with
    # the response's nonce: that nonce, and nothing else, joins 'self' there.
    assert policy["style-src"] == ["'self'", policy["script-src"][1]]
    for sources in policy.values():
        assert "'unsafe-inline'" not in sources
        assert "'unsafe-eval'" not in sources
        assert "*" not in sources


def test_other_pages_allow_no_style_element(client, alice):
    client.force_login(alice)
    policy = _directives(client.get(reverse("designs:dashboard"))["Content-Security-Policy"])
    assert policy["style-src"] == ["'self'"]


def test_every_script_carries_the_nonce_of_its_response(page_response):
    policy = _directives(page_response["Content-Security-Policy"])
    nonce = policy["script-src"][1].removeprefix("'nonce-").removesuffix("'")
    html = page_response.content.decode()
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts
    for tag in scripts:
        assert f'nonce="{nonce}"' in tag
        assert 'src="/static/' in tag


def test_the_nonce_is_new_on_every_response(client, alice, design):
    client.force_login(alice)
    first = client.get(design.get_absolute_url())["Content-Security-Policy"]
    second = client.get(design.get_absolute_url())["Content-Security-Policy"]
    assert first != second


def test_templates_have_no_inline_script_style_or_event_handler():
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        if "pdf" in path.parts:  # rendered to PDF by the export worker, never served
            continue
        text = path.read_text()
        for pattern in [r"<script(?![^>]*\bsrc=)", r"<style\b", r"\sstyle=", r"\son[a-z]+="]:
            if re.search(pattern, text):
                offenders.append(f"{path.relative_to(ROOT)}: {pattern}")
    assert offenders == []


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("X-Frame-Options", "DENY"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ],
)
def test_pages_carry_the_security_headers(page_response, header, value):
    assert page_response[header] == value


def test_sign_in_page_and_api_carry_the_headers_too(client, db):
    for response in [client.get(reverse("accounts:login")), client.get("/api/v1/me")]:
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["X-Frame-Options"] == "DENY"


def test_cookies_are_httponly_and_samesite_lax(client, alice):
    response = client.post(
        reverse("accounts:login"), {"username": "alice", "password": "pw-for-tests-1"}
    )
    for name in ["sessionid", "csrftoken"]:
        cookie = response.cookies[name]
        assert cookie["httponly"], name
        assert cookie["samesite"] == "Lax", name


PRODUCTION_PROBE = """
import json
import django
django.setup()
from django.conf import settings
from django.core.management import call_command
from django.test import Client

call_command("migrate", verbosity=0)  # a database of its own (DATABASE_URL, SQLite)
from accounts.models import User
User.objects.create_user(username="probe", password="probe-pw-for-tests-1")

def flags(cookie):
    return {"secure": bool(cookie["secure"]), "httponly": bool(cookie["httponly"]),
            "samesite": cookie["samesite"]}

client = Client()
plain = client.get("/accounts/login/")
secure = client.get("/accounts/login/", secure=True)
csrf = secure.cookies["csrftoken"]
signed_in = client.post(
    "/accounts/login/",
    {"username": "probe", "password": "probe-pw-for-tests-1"},
    secure=True,
)
assert signed_in.status_code == 302, signed_in.status_code
print(json.dumps({
    "plain_status": plain.status_code,
    "plain_location": plain.get("Location", ""),
    "hsts": secure.get("Strict-Transport-Security", ""),
    "csp": secure.get("Content-Security-Policy", ""),
    "csrf_cookie": flags(csrf),
    "session": flags(signed_in.cookies[settings.SESSION_COOKIE_NAME]),
}))
"""


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    dropped = {"SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(
        DEBUG="false",
        SECRET_KEY="tF8q-Zr2vLx9pK4wNc7sYb1mHd6jGe3uQa5oRi0tWz8yXk2n-Lp4Ve7Bs9Cu1Dw3Ex5F",
        ALLOWED_HOSTS="testserver",
        DJANGO_SETTINGS_MODULE="config.settings",
        LOG_LEVEL="ERROR",
        # Production serves hashed static files from a manifest: build one, as a deploy does.
        STATIC_ROOT=str(tmp_path_factory.mktemp("static")),
        # The probe signs in for real, on a database of its own.
        DATABASE_URL=f"sqlite:///{tmp_path_factory.mktemp('db') / 'probe.sqlite3'}",
    )
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=600,  # a loaded machine takes minutes to build the manifest
    )
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_sends_plain_http_to_https(production):
    assert production["plain_status"] == 301
    assert production["plain_location"].startswith("https://")


def test_production_asks_browsers_for_https_for_a_year_with_subdomains(production):
    hsts = production["hsts"]
    assert "max-age=31536000" in hsts
    assert "includeSubDomains" in hsts
    assert "preload" in hsts


def test_production_cookies_are_secure_httponly_and_samesite(production):
    assert production["csrf_cookie"] == {"secure": True, "httponly": True, "samesite": "Lax"}
    assert production["session"] == {"secure": True, "httponly": True, "samesite": "Lax"}


def test_production_keeps_the_content_security_policy(production):
    assert "frame-ancestors 'none'" in production["csp"]
