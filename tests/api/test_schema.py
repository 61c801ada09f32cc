import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings

from api.v1.app import api
from config.wsgi import application
from designs import template_services
from tests.factories import default_template, make_api_token, make_design

# The schema exactly as /api/v1/openapi.json serves it; requests go to the WSGI app in-process.
schema = schemathesis.openapi.from_dict(api.get_openapi_schema())


@pytest.fixture
def in_process_wsgi(db):
    """As Django's test client does, keep the request signals from closing the test's
    database connection while the WSGI app is called directly."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield application
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def seeded(alice, bob, unlimited_writes, in_process_wsgi):
    """A design alice can edit, so generated requests can reach real rows too."""
    design = make_design(author=alice, title="Seeded design")
    template = template_services.template_copy(
        source=default_template(), team=design.team, created_by=alice
    )
    return {
        "headers": {"Authorization": f"Bearer {make_api_token(user=alice)}"},
        "design_id": design.pk,
        "team_id": design.team_id,
        "key": "who-is-your-customer",
        "template_id": template.pk,
        "app": in_process_wsgi,
    }


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_generated_requests_never_get_a_server_error(case, seeded):
    responses = [case.call(app=seeded["app"], headers=seeded["headers"])]
    # Again against rows that exist, so handlers run past the 404.
    real = {name: seeded[name] for name in ("design_id", "team_id", "key", "template_id")}
    if case.path_parameters:
        case.path_parameters = {
            name: real.get(name, value) for name, value in case.path_parameters.items()
        }
        responses.append(case.call(app=seeded["app"], headers=seeded["headers"]))
    for response in responses:
        assert response.status_code < 500, (case.method, case.formatted_path, response.text)


@pytest.mark.django_db
def test_schema_documents_the_limits_and_error_statuses():
    spec = Client().get("/api/v1/openapi.json").json()
    patch = spec["paths"]["/api/v1/designs/{design_id}/sections/{key}"]["patch"]
    assert {"200", "403", "404", "409", "413", "422"} <= set(patch["responses"])
    components = spec["components"]["schemas"]
    assert components["SectionPatchIn"]["properties"]["body"]["x-max-bytes"] == 200_000
    assert components["DesignIn"]["properties"]["title"]["maxLength"] == 200
    assert {"TokenAuth", "SessionAuth"} <= set(spec["components"]["securitySchemes"])


@pytest.mark.django_db
def test_schema_documents_templates_and_the_import():
    spec = Client().get("/api/v1/openapi.json").json()
    paths = spec["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/templates"])
    assert {"get", "put"} <= set(paths["/api/v1/templates/{template_id}"])
    imported = paths["/api/v1/designs/import"]["post"]
    assert {"200", "201", "413", "422"} <= set(imported["responses"])
    components = spec["components"]["schemas"]
    assert "dry_run" in components["ImportIn"]["properties"]
    assert "signoff_roles" in components["TemplateSectionOut"]["properties"]
