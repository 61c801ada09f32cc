#!/usr/bin/env bash
# Fetch mermaid.min.js from the npm registry at the version pinned in mermaid.json and check
# it against the pinned SHA-256 (`make mermaid`). To upgrade: change "version" in
# mermaid.json, run with UPDATE=1 to record the new digests, and read the release notes.
set -euo pipefail
cd "$(dirname "$0")"
version="$(python3 -c 'import json; print(json.load(open("mermaid.json"))["version"])')"
expected="$(python3 -c 'import json; print(json.load(open("mermaid.json"))["sha256"])')"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "mermaid@$version" >/dev/null && tar xzf "mermaid-$version.tgz")
actual="$(sha256sum "$work/package/dist/mermaid.min.js" | cut -d' ' -f1)"
if [ "${UPDATE:-}" = 1 ]; then
  python3 - "$actual" "$work/mermaid-$version.tgz" <<'PY'
import base64, hashlib, json, sys
manifest = json.load(open("mermaid.json"))
manifest["sha256"] = sys.argv[1]
tarball = open(sys.argv[2], "rb").read()
manifest["integrity"] = "sha512-" + base64.b64encode(hashlib.sha512(tarball).digest()).decode()
json.dump(manifest, open("mermaid.json", "w"), indent=2)
open("mermaid.json", "a").write("\n")
PY
elif [ "$actual" != "$expected" ]; then
  echo "mermaid.min.js $version: sha256 $actual, expected $expected" >&2
  exit 1
fi
cp "$work/package/dist/mermaid.min.js" mermaid.min.js
cp "$work/package/LICENSE" LICENSE.mermaid
echo "mermaid.min.js $version: sha256 $actual"
