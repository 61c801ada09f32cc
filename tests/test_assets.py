"""The committed browser bundles (static/js/build/, `make assets`): one per entry file in
frontend/, free of what the Content-Security-Policy forbids, with the licences of what they
bundle beside them. CI also rebuilds them and compares (.ci/check_assets)."""

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "static" / "js" / "build"
ENTRIES = sorted(p.stem for p in (ROOT / "frontend").glob("*.js"))


def test_every_entry_file_has_a_committed_bundle():
    assert "editor" in ENTRIES
    assert sorted(p.stem for p in BUILD.glob("*.js")) == ENTRIES


def test_bundles_hold_no_eval_and_name_their_licences():
    for name in ENTRIES:
        code = (BUILD / f"{name}.js").read_text()
        assert not re.search(r"\beval\s*\(|\bnew\s+Function\s*\(", code), name
        assert code.startswith(f"/*! Crit {name}.js"), name
        assert f"{name}.js.LICENSES.txt" in code.splitlines()[0]
        assert (BUILD / f"{name}.js.LICENSES.txt").exists()


def test_the_editor_bundles_only_what_its_licence_list_names():
    licences = (BUILD / "editor.js.LICENSES.txt").read_text()
    listed = dict(re.findall(r"^  (\S+) \S+ \((\S+)\)$", licences, re.M))
    for package in ["yjs", "y-codemirror.next", "y-websocket", "y-indexeddb", "@codemirror/view"]:
        assert listed.get(package) == "MIT", package
    assert set(listed.values()) == {"MIT"}
    lock = json.loads((ROOT / "package-lock.json").read_text())
    for package in listed:
        assert f"node_modules/{package}" in lock["packages"], package
