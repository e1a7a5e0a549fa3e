"""The report formats of `archlang check`: a module of its own so that building the command
line (and so `archlang --version`) imports nothing heavy."""

FORMATS = ("text", "concise", "json", "sarif", "junit", "github", "gitlab", "markdown")
