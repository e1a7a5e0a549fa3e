"""Jinja2 templates compiled once per machine, not on every run.

Compiling a template (Jinja2 parses it and writes Python source, which Python compiles)
took about 25 ms of every `archlang render` and `report`. :func:`bytecode_cache` keeps the
compiled code in Jinja2's own per-user cache folder in the temporary directory, as Lark
keeps the parser tables there. Jinja2 checks the template's source against what it stored
(a checksum, and its own version and Python's), so an edited template is compiled afresh.
A folder that cannot be made or written is no error: the template is compiled as before.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import jinja2
    from jinja2.bccache import Bucket


def bytecode_cache() -> jinja2.BytecodeCache | None:
    """Jinja2's FileSystemBytecodeCache, reading and writing nothing that fails; None when
    the cache folder cannot be made."""
    from jinja2 import FileSystemBytecodeCache

    class _Quiet(FileSystemBytecodeCache):
        def load_bytecode(self, bucket: Bucket) -> None:
            try:
                super().load_bytecode(bucket)
            except Exception:            # a damaged file (pickle, marshal): compile afresh
                bucket.reset()

        def dump_bytecode(self, bucket: Bucket) -> None:
            with contextlib.suppress(OSError):
                super().dump_bytecode(bucket)

    try:
        return _Quiet()
    except (OSError, RuntimeError):      # no temporary folder, or one not ours alone
        return None
