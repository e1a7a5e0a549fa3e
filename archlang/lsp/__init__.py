"""`archlang lsp`: the language server (pygls over stdio).

Nothing here is imported by the other commands: ``archlang check`` never loads pygls.
``main`` says how to install the server when pygls is missing.
"""

from __future__ import annotations

import sys


def main() -> int:
    try:
        import pygls  # noqa: F401
    except ImportError:
        sys.stderr.write("archlang: error: the language server needs pygls: "
                         "pip install 'archlang[lsp]'\n")
        return 2
    from archlang.lsp.server import serve

    serve()
    return 0
