"""`crit-manage`: Django's manage.py for an installed Crit (pip install, the wheel).

Run it from the directory that should hold Crit's var/ (the SQLite database and media, when
DATABASE_URL and MEDIA_ROOT are not set) and its .env.
"""

import os
import sys
from pathlib import Path


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        database = settings.DATABASES["default"]
    except ImproperlyConfigured:
        database = {}  # execute_from_command_line reports what is missing
    if database.get("ENGINE", "").endswith("sqlite3"):
        # SQLite makes the database file but not the folder it lives in.
        Path(database["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
