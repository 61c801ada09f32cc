// Builds every entry file frontend/<name>.js into static/js/build/<name>.js (`make assets`).
// A feature adds an entry by adding a file; modules an entry imports live in subfolders.
// The output is deterministic (same lockfile, same bytes), so CI can rebuild and compare
// (.ci/check_assets). Beside each bundle, <name>.js.LICENSES.txt lists every package it
// contains with its licence text; the bundle's banner points there.
import { readdirSync, readFileSync, writeFileSync, mkdirSync, existsSync } from "node:fs";
import { join, dirname, basename } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const srcDir = join(root, "frontend");
const outDir = join(root, "static", "js", "build");

// What the CSP forbids must never reach a bundle.
const FORBIDDEN = [/\beval\s*\(/, /\bnew\s+Function\s*\(/];
const LICENCE_FILES = ["LICENSE", "LICENSE.md", "LICENSE.txt", "license", "license.md"];

function packageOf(input) {
  const match = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
  return match ? match[1] : null;
}

function licenceText(name) {
  const dir = join(root, "node_modules", name);
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const file = LICENCE_FILES.map((f) => join(dir, f)).find((f) => existsSync(f));
  const text = file ? readFileSync(file, "utf8").trim() : `Licence: ${pkg.license} (no licence file shipped)`;
  return { name, version: pkg.version, license: pkg.license, text };
}

const entries = readdirSync(srcDir)
  .filter((f) => f.endsWith(".js"))
  .sort();

mkdirSync(outDir, { recursive: true });
let failed = false;
for (const entry of entries) {
  const name = basename(entry, ".js");
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: [join("frontend", entry)],
    bundle: true,
    minify: true,
    format: "iife",
    target: ["es2020"],
    platform: "browser",
    legalComments: "eof",
    charset: "utf8",
    sourcemap: false,
    metafile: true,
    write: false,
    logLevel: "warning",
    banner: {
      js: `/*! Crit ${name}.js, built from frontend/${entry} by \`make assets\`. Bundled third-party code and its licences: ${name}.js.LICENSES.txt */`,
    },
  });
  const code = result.outputFiles[0].text;
  for (const pattern of FORBIDDEN) {
    if (pattern.test(code)) {
      console.error(`build: ${name}.js contains ${pattern}, which the CSP forbids`);
      failed = true;
    }
  }
  writeFileSync(join(outDir, `${name}.js`), code);
  const packages = [...new Set(Object.keys(result.metafile.inputs).map(packageOf).filter(Boolean))].sort();
  const licences = packages.map(licenceText);
  const summary = licences.map((l) => `  ${l.name} ${l.version} (${l.license})`).join("\n");
  const texts = licences.map((l) => `==== ${l.name} ${l.version} (${l.license}) ====\n\n${l.text}\n`).join("\n");
  writeFileSync(
    join(outDir, `${name}.js.LICENSES.txt`),
    `Third-party packages bundled into ${name}.js:\n${summary || "  (none)"}\n\n${texts}`,
  );
  const gz = (await import("node:zlib")).gzipSync(code, { level: 9 }).length;
  console.log(`build: static/js/build/${name}.js ${(code.length / 1024).toFixed(0)} KiB, ${(gz / 1024).toFixed(0)} KiB gzipped, ${packages.length} packages`);
}
process.exit(failed ? 1 : 0);
