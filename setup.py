"""Builds Crit's wheel.

Everything but this is declared in pyproject.toml. The pages' templates and the site's
static files live at the top of the source tree, beside the apps; the wheel carries them
inside the config package (config/templates/, config/static/), where config.settings looks
for them when Crit is installed. An editable install reads them from the source tree.
"""

import shutil
import warnings
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SITE_FILES = ("templates", "static")

# setuptools' generic note on every editable install (same-named folders in the working
# directory may shadow the packages) is noise in `make run`'s output: those folders are ours.
warnings.filterwarnings("ignore", message="Editable installation", category=UserWarning)


class BuildPyWithSiteFiles(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        for name in SITE_FILES:
            target = Path(self.build_lib, "config", name)
            shutil.rmtree(target, ignore_errors=True)  # nothing left from an earlier build
            self.copy_tree(name, str(target))


setup(cmdclass={"build_py": BuildPyWithSiteFiles})
