// The archlang extension: the TextMate grammar highlights, and `archlang lsp` (started over
// stdio) gives diagnostics, hover figures, go to definition, references, completion,
// formatting and "did you mean" fixes. The command is the `archlang.server.command` setting.
"use strict";
const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("archlang").get("server.command")
    || "archlang";
  const server = { command, args: ["lsp"], transport: TransportKind.stdio };
  client = new LanguageClient("archlang", "archlang", { run: server, debug: server }, {
    documentSelector: [{ scheme: "file", language: "archlang" }],
  });
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
