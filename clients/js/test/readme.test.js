// Runs the README's quickstart, as written but for the server's address,
// against a test server over both transports, and compares its output with
// the output the README shows.

import { after, before, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

import { TRANSPORTS, startServer } from "../testlib/helpers.js";

const here = dirname(fileURLToPath(import.meta.url));
const readme = readFileSync(join(here, "..", "README.md"), "utf8");

/** The first fenced block of `lang` after the heading `heading`. */
function blockAfter(heading, lang) {
  const start = readme.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `README has no heading ${heading}`);
  const m = new RegExp("```" + lang + "\\n([\\s\\S]*?)```").exec(readme.slice(start));
  assert.ok(m, `no \`\`\`${lang} block after ${heading}`);
  return { code: m[1], end: start + m.index + m[0].length };
}

const quickstart = blockAfter("## Quickstart", "js");
// The expected output: the first plain ``` block after the code.
const expected = /```\n([\s\S]*?)```/.exec(readme.slice(quickstart.end))[1];

let server;
before(async () => {
  server = await startServer();
});
after(async () => {
  if (server) await server.stop();
});

for (const t of TRANSPORTS) {
  it(`the README quickstart runs as written over ${t}`, async () => {
    assert.ok(quickstart.code.includes('"http://localhost:8080"'));
    const code = quickstart.code.replace('"http://localhost:8080"', JSON.stringify(server.url(t)));
    // Inside the package, so that `import ... from "proximadb"` resolves to it (self-reference).
    const file = join(here, `.readme-quickstart-${process.pid}-${t}.mjs`);
    writeFileSync(file, code);
    try {
      const { stdout } = await new Promise((resolve, reject) =>
        execFile(process.execPath, [file], { timeout: 20000 }, (err, stdout, stderr) =>
          err ? reject(new Error(`quickstart failed: ${err.message}\n${stdout}\n${stderr}`)) : resolve({ stdout, stderr }),
        ),
      );
      const want = t === "grpc" ? expected.replace("missing: not_found 404", "missing: not_found NOT_FOUND") : expected;
      assert.equal(stdout, want);
    } finally {
      rmSync(file, { force: true });
    }
  });
}
