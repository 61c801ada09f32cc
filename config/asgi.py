import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_asgi_application()

from config.limits import BodyLimit  # noqa: E402 (after Django is set up)

# Bodies past the request limit are refused as they stream in, before Django spools them.
application = BodyLimit(django_application)
