import pytest

from designs.diagrams import renderer
from designs.models import Section

FLOWCHART = """flowchart LR
  client[Browser] --> api[Crit web]
  api --> db[(PostgreSQL)]
"""


def fence(source: str) -> str:
    return f"```mermaid\n{source}```\n"


@pytest.fixture(scope="session", autouse=True)
def _stop_the_diagram_browser():
    """One warm browser serves every test of the session that draws; stopped at the end."""
    yield
    renderer.shutdown()


@pytest.fixture
def no_chromium(settings):
    settings.CRIT_CHROMIUM_PATH = "/nonexistent/chromium"


@pytest.fixture
def section(design):
    return Section.objects.filter(design=design).order_by("position").first()


def save(section: Section, body: str) -> Section:
    from designs import services

    fresh = Section.objects.get(pk=section.pk)
    return services.section_update(
        section=fresh, body=body, base_version=fresh.version, edited_by=fresh.design.created_by
    )
