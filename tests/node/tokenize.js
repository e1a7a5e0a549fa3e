// Tokenize files with VS Code's TextMate engine (vscode-textmate + vscode-oniguruma).
// usage: node tokenize.js GRAMMAR.json FILE...  ->  JSON on stdout:
//   [{"file": F, "lines": [[{"text": T, "scopes": [...]}, ...], ...]}, ...]
"use strict";
const fs = require("fs");
const path = require("path");
const vsctm = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

async function main() {
  const [grammarPath, ...files] = process.argv.slice(2);
  const wasm = fs.readFileSync(
    path.join(path.dirname(require.resolve("vscode-oniguruma")), "onig.wasm"));
  await oniguruma.loadWASM(wasm.buffer);
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async () =>
      vsctm.parseRawGrammar(fs.readFileSync(grammarPath, "utf8"), grammarPath),
  });
  const grammar = await registry.loadGrammar("source.archlang");
  const out = [];
  for (const file of files) {
    const lines = fs.readFileSync(file, "utf8").split(/\r?\n/);
    let state = vsctm.INITIAL;
    const tokenized = [];
    for (const line of lines) {
      const r = grammar.tokenizeLine(line, state);
      tokenized.push(r.tokens.map((t) => ({
        text: line.substring(t.startIndex, t.endIndex), scopes: t.scopes })));
      state = r.ruleStack;
    }
    out.push({ file, lines: tokenized });
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => { process.stderr.write(String(e && e.stack || e) + "\n"); process.exit(2); });
