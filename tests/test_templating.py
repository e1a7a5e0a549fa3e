"""Jinja2's compiled templates kept between runs (archlang/render/templating.py)."""

from jinja2 import DictLoader, Environment

from archlang.render.templating import bytecode_cache


def _render(cache, loader):
    return Environment(loader=loader, bytecode_cache=cache).get_template("t").render(x=1)


def test_compiled_once_and_an_edit_is_seen(tmp_path):
    cache = bytecode_cache()
    assert cache is not None
    cache.directory = str(tmp_path)
    loader = DictLoader({"t": "a{{ x }}"})
    assert _render(cache, loader) == "a1"
    assert len(list(tmp_path.iterdir())) == 1
    assert _render(cache, loader) == "a1"
    loader.mapping["t"] = "b{{ x }}"            # the stored code is for another source
    assert _render(cache, loader) == "b1"


def test_a_cache_that_fails_is_no_error(tmp_path):
    cache = bytecode_cache()
    cache.directory = str(tmp_path / "missing")  # no such folder: every write fails
    assert _render(cache, DictLoader({"t": "c{{ x }}"})) == "c1"
    cache.directory = str(tmp_path)
    loader = DictLoader({"t": "d{{ x }}"})
    assert _render(cache, loader) == "d1"
    for f in tmp_path.iterdir():                 # a damaged file: compiled afresh
        f.write_bytes(f.read_bytes()[:20] + b"\x00garbage")
    assert _render(cache, loader) == "d1"
