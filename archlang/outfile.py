"""Writing an output file safely: whole or not at all, and never where it does harm.

`write_output(path, data, inputs=...)`:

* a symlink is written through to its target (the link stays a link);
* an output that is one of the inputs (`check x.arch -o x.arch`, or a link to it) is
  refused: the design would be replaced by its report;
* a character device or a FIFO (`-o /dev/null`, `/dev/stdout`) is written to directly,
  never replaced by a rename (which, as root, would put a regular file over the device);
* a regular file is written to a temporary file beside it and renamed over it, so a reader
  never sees half a file; an existing file keeps its permission bits;
* SIGTERM and SIGHUP during the write remove the temporary file before the process ends
  (SIGINT does too, as KeyboardInterrupt);
* no directory is created: a missing one is an error;
* every failure is an :class:`OutputError` with a sentence the CLI prints (exit 2).
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn


class OutputError(Exception):
    """The output cannot be written; ``str()`` says why, naming the path."""


class Interrupted(BaseException):
    """SIGTERM or SIGHUP arrived while an output was written (the temp file is gone)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _same_file(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def check_not_input(path: str, inputs: Iterable[str]) -> None:
    """Raise OutputError when ``path`` is (or links to) one of ``inputs``."""
    try:
        out = os.stat(path)
    except OSError:
        return
    for f in inputs:
        try:
            if _same_file(out, os.stat(f)):
                raise OutputError(f"refusing to write to '{path}': it is the input '{f}'")
        except OSError:
            continue


#: What ``signal.signal`` returns: a handler, SIG_DFL / SIG_IGN, or None (not set from Python).
_Handler = Callable[[int, "FrameType | None"], Any] | int | signal.Handlers | None


@contextlib.contextmanager
def _signals_clean_up() -> Iterator[None]:
    """SIGTERM / SIGHUP raise Interrupted while the block runs (main thread only)."""
    def handler(signum: int, frame: FrameType | None) -> NoReturn:
        raise Interrupted(signum)

    saved: dict[signal.Signals, _Handler] = {}
    try:
        for sig in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)):
            if sig is not None:
                saved[sig] = signal.signal(sig, handler)
    except ValueError:          # not the main thread: nothing to install
        pass
    try:
        yield
    finally:
        for sig, old in saved.items():
            signal.signal(sig, old)


def write_output(path: str | os.PathLike[str], data: str | bytes, inputs: Iterable[str] = ()
                 ) -> None:
    """Write ``data`` (text is UTF-8) to ``path`` as the module docstring says."""
    shown = os.fspath(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    check_not_input(shown, inputs)
    target = Path(os.path.realpath(shown))          # through symlinks, to the real file
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise OutputError(f"cannot write '{shown}': {e.strerror or e}") from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise OutputError(f"cannot write '{shown}': it is a directory")
    if st is not None and not stat.S_ISREG(st.st_mode):
        _write_in_place(shown, target, payload)     # a device or a FIFO: never renamed over
        return
    parent = target.parent
    if not parent.is_dir():
        raise OutputError(f"cannot write '{shown}': the directory '{parent}' does not exist "
                          f"(archlang creates no directories)")
    if st is not None:
        mode = stat.S_IMODE(st.st_mode)
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    tmp = None
    try:
        with _signals_clean_up():
            try:
                fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp",
                                           dir=parent)
                with os.fdopen(fd, "wb") as f:
                    os.fchmod(f.fileno(), mode)
                    f.write(payload)
                os.replace(tmp, target)
                tmp = None
            except OSError as e:
                raise OutputError(f"cannot write '{shown}': {e.strerror or e}") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _write_in_place(shown: str, target: Path, payload: bytes) -> None:
    try:
        with open(target, "wb") as f:
            f.write(payload)
    except OSError as e:
        raise OutputError(f"cannot write '{shown}': {e.strerror or e}") from None
