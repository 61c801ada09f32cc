"""The admin site: Django's, with its sign-in under the site's sign-in lockout."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest, HttpResponse


class CritAdminSite(admin.AdminSite):
    site_header = "Crit administration"

    @property
    def login_form(self):  # type: ignore[override]
        from accounts.forms import AdminSignInForm

        return AdminSignInForm

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        from accounts.views import throttled_response

        response = super().login(request, extra_context)
        form = (getattr(response, "context_data", None) or {}).get("form")
        return throttled_response(response, form)


class CritAdminConfig(AdminConfig):
    """django.contrib.admin with ``CritAdminSite`` as ``admin.site``."""

    default_site = "accounts.admin_site.CritAdminSite"
