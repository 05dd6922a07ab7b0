"""Finding entry points without importlib.metadata: ``_metadata_folders``, the fast path of ``_discovery.discover``.

The tests compare ``discover()`` with what it returns when forced onto
``importlib.metadata`` (the reference) on the same ``sys.path``:
``importlib.metadata`` reads ``sys.path`` when called, so a monkeypatched
``sys.path`` of temporary folders holding fake ``*.dist-info`` and
``*.egg-info`` folders is an independent check. ``fast()`` also asserts that the
fast path did not fall back; ``fallback()`` that it did.
"""

from __future__ import annotations

import os
import sys
import warnings
import zipfile
from pathlib import Path
from typing import Any, Callable, List, Optional, Tuple, Type, Union

import pytest

from npnet_core import _discovery, _metadata_folders

if sys.version_info >= (3, 10):
    from importlib import metadata as importlib_metadata
else:  # the backport, in site-packages, which the tests take off sys.path
    import importlib_metadata

    try:  # what it imports to read zip files, on first use
        import zipp.compat.overlay  # noqa: F401
    except ImportError:
        pass

# importlib.metadata (and email) import some of their modules on first use: use them before a test patches sys.path
for _dist in importlib_metadata.distributions():
    _ = _dist.metadata["Name"]
    break


Record = Tuple[str, str, Optional[str], Optional[str]]

#: The standard library's folders (no metadata folders in them), kept on the patched sys.path:
#: importlib.metadata and the email package import some of their modules only when used.
STDLIB = [
    entry
    for entry in sys.path
    if entry
    and os.path.isdir(entry)
    and os.path.realpath(entry).startswith(os.path.realpath(sys.base_prefix))
    and not {"site-packages", "dist-packages"} & set(Path(entry).parts)
]


def set_path(monkeypatch: pytest.MonkeyPatch, *entries: object) -> None:
    """Make ``sys.path`` the given entries, then the standard library's folders."""
    monkeypatch.setattr(sys, "path", [str(entry) for entry in entries] + STDLIB)


def records(sources: List[_discovery.PluginSource]) -> List[Record]:
    return [(s.name, s.value, s.distribution, s.version) for s in sources]


Outcome = Union[List[Record], Type[BaseException]]


def outcome(call: Callable[[], List[_discovery.PluginSource]]) -> Outcome:
    """The records ``call()`` returns, or the type of the exception it raises."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Python >= 3.12 warns when a metadata header is missing
        try:
            return records(call())
        except Exception as error:
            return type(error)


def reference(monkeypatch: pytest.MonkeyPatch) -> Outcome:
    """What discover() returns (or raises) through importlib.metadata."""

    def unsure(group: str) -> list:
        raise ValueError("forced onto importlib.metadata")

    with monkeypatch.context() as patch:
        patch.setattr(_metadata_folders, "entry_points", unsure)
        return outcome(_discovery.discover)


def discover_counting(monkeypatch: pytest.MonkeyPatch) -> Tuple[Outcome, int]:
    """What discover() returns (or raises), and how many times it fell back to importlib.metadata."""
    calls = []
    real = _discovery._from_importlib_metadata
    meta_path = list(sys.meta_path)

    def spy() -> List[_discovery.PluginSource]:
        calls.append(1)
        with monkeypatch.context() as patch:
            patch.setattr(sys, "meta_path", meta_path)
            return real()

    with monkeypatch.context() as patch:
        patch.setattr(_discovery, "_from_importlib_metadata", spy)
        without_the_backports_finder(patch)
        return outcome(_discovery.discover), len(calls)


def without_the_backports_finder(monkeypatch: pytest.MonkeyPatch) -> None:
    """On Python 3.9, take the importlib_metadata backport's finder off sys.meta_path.

    Once imported (by this module), the backport adds it, and the fast path then
    always falls back; a fresh interpreter has not imported it.
    """
    if sys.version_info < (3, 10):
        finders = [f for f in sys.meta_path if type(f).__module__ != "importlib_metadata"]
        monkeypatch.setattr(sys, "meta_path", finders)


def from_sys_path(monkeypatch: pytest.MonkeyPatch) -> List[_discovery.PluginSource]:
    """The fast path's sources, as in a fresh interpreter."""
    with monkeypatch.context() as patch:
        without_the_backports_finder(patch)
        return [_discovery.PluginSource(*found) for found in _metadata_folders.entry_points("npnet")]


def fast(monkeypatch: pytest.MonkeyPatch) -> Outcome:
    """discover() without falling back, checked against importlib.metadata."""
    found, fallbacks = discover_counting(monkeypatch)
    assert fallbacks == 0, "the fast path fell back to importlib.metadata"
    assert found == reference(monkeypatch)
    return found


def fallback(monkeypatch: pytest.MonkeyPatch) -> Outcome:
    """discover() through its fallback, checked against importlib.metadata."""
    found, fallbacks = discover_counting(monkeypatch)
    assert fallbacks == 1, "the fast path did not fall back to importlib.metadata"
    assert found == reference(monkeypatch)
    return found


def dist(
    folder: Path,
    dirname: str,
    entry_points: Optional[str] = None,
    metadata: Optional[str] = None,
    metadata_file: Optional[str] = None,
) -> Path:
    """A metadata folder ``folder/dirname``; its METADATA (PKG-INFO for *.egg-info) names it after ``dirname``."""
    path = folder / dirname
    path.mkdir(parents=True)
    stem = dirname.rsplit(".", 1)[0]
    name, _, version = stem.partition("-")
    if metadata is None:
        metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version or '0.0'}\n\nA description.\n"
    if metadata_file is None:
        metadata_file = "PKG-INFO" if dirname.endswith(".egg-info") else "METADATA"
    (path / metadata_file).write_text(metadata, encoding="utf-8")
    if entry_points is not None:
        (path / "entry_points.txt").write_text(entry_points, encoding="utf-8")
    return path


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> List[Path]:
    """``sys.path`` made of three empty temporary folders (a, b, c), in that order, and the standard library."""
    folders = [tmp_path / name for name in "abc"]
    for folder in folders:
        folder.mkdir()
    set_path(monkeypatch, *folders)
    return folders


# -- the real environment ---------------------------------------------------------------


def test_the_installed_plugins_are_found_as_importlib_metadata_finds_them(monkeypatch):
    """In this environment the fast path returns importlib.metadata's records and loads the same objects."""
    found = fast(monkeypatch)
    assert {"npnet-adam", "npnet-relu-softmax", "npnet-sgd-momentum"} <= {r[2] for r in found}
    mine = from_sys_path(monkeypatch)
    theirs = _discovery._from_importlib_metadata()
    assert sorted(records(mine)) == sorted(records(theirs))
    by_name = {s.name: s for s in theirs}
    for source in mine:
        assert source.load() is by_name[source.name].load()
        assert source.entry_point.group == "npnet"


# -- fake distributions on a monkeypatched sys.path ---------------------------------------


def test_entry_points_comments_blank_lines_and_extras(site, monkeypatch):
    """Only the [npnet] section counts; '#' comments, blank lines, spaces and extras are read as importlib.metadata reads them."""
    dist(
        site[0],
        "alpha-1.0.dist-info",
        "# a comment\n"
        "loose = before.any:section\n"
        "[console_scripts]\n"
        "alpha = alpha.cli:main\n"
        "\n"
        "[npnet]\n"
        "   # an indented comment\n"
        "first = alpha.first\n"
        "\n"
        "second=alpha.second:attr.sub [extra1, extra2]\n"
        "  third   =   alpha.third : obj   \r\n"
        "[other]\n"
        "other = not.npnet\n",
    )
    dist(site[1], "beta.egg-info", "[npnet]\nbeta = beta.plugin\n", metadata="Name: Beta\nVersion: 2.0\n")
    assert fast(monkeypatch) == [
        ("beta", "beta.plugin", "Beta", "2.0"),
        ("first", "alpha.first", "alpha", "1.0"),
        ("second", "alpha.second:attr.sub [extra1, extra2]", "alpha", "1.0"),
        ("third", "alpha.third : obj", "alpha", "1.0"),
    ]


def test_metadata_headers_as_the_email_package_reads_them(site, monkeypatch):
    """PKG-INFO when METADATA is empty, the first of two Name headers, any case, trailing spaces, folded other headers."""
    one = dist(site[0], "one-1.0.dist-info", "[npnet]\none = one.plugin\n", metadata="")
    (one / "PKG-INFO").write_text("Name: One\nVersion: 1.0\n", encoding="utf-8")
    dist(
        site[0],
        "two-2.0.dist-info",
        "[npnet]\ntwo = two.plugin\n",
        metadata="Metadata-Version: 2.1\nNAME:Two  \nname: Second\nSummary: folded\n  over two lines\n"
        "version: 2.0\n\nName: the body\n",
    )
    dist(
        site[0],
        "three-3.0.egg-info",
        "[npnet]\nthree = three.plugin\n",
        metadata="Metadata-Version: 1.0\r\nName: three\r\nVersion: 3.0\r\nDescription: a\r\n        b\r\n",
    )
    assert fast(monkeypatch) == [
        ("one", "one.plugin", "One", "1.0"),
        ("three", "three.plugin", "three", "3.0"),
        ("two", "two.plugin", "Two  ", "2.0"),
    ]


def test_the_same_distribution_on_two_path_entries_is_found_once_the_first(site, monkeypatch):
    dist(site[0], "plug-1.0.dist-info", "[npnet]\nplug = plug_v1.plugin\n")
    dist(site[1], "plug-2.0.dist-info", "[npnet]\nplug = plug_v2.plugin\n")
    dist(site[2], "plug.egg-info", "[npnet]\nplug = plug_v3.plugin\n", metadata="Name: plug\nVersion: 3.0\n")
    assert fast(monkeypatch) == [("plug", "plug_v1.plugin", "plug", "1.0")]


def test_names_are_normalised_as_importlib_metadata_does(site, monkeypatch):
    """My_Plugin and my.plugin are one distribution (the first found); the folder name decides, not METADATA."""
    dist(site[0], "My_Plugin-1.0.dist-info", "[npnet]\nmine = mine.v1\n", metadata="Name: My_Plugin\nVersion: 1.0\n")
    dist(site[1], "my.plugin-2.0.dist-info", "[npnet]\nmine = mine.v2\n", metadata="Name: my-plugin\nVersion: 2.0\n")
    # importlib.metadata takes the name from the folder up to its first '-': "my", another distribution
    dist(site[1], "my-plugin-3.0.dist-info", "[npnet]\nmine = mine.v3\n", metadata="Name: my-plugin\nVersion: 3.0\n")
    assert fast(monkeypatch) == [
        ("mine", "mine.v1", "My_Plugin", "1.0"),
        ("mine", "mine.v3", "my-plugin", "3.0"),
    ]


def test_one_folder_with_both_an_egg_info_and_a_dist_info(site, monkeypatch):
    """Whichever of the two the folder lists first is the distribution (as for importlib.metadata)."""
    dist(site[0], "both.egg-info", "[npnet]\nboth = both.egg\n", metadata="Name: both\nVersion: 1.0\n")
    dist(site[0], "both-2.0.dist-info", "[npnet]\nboth = both.wheel\n")
    found = fast(monkeypatch)
    assert found in ([("both", "both.egg", "both", "1.0")], [("both", "both.wheel", "both", "2.0")])


def test_a_distribution_without_entry_points_is_ignored_but_hides_later_ones(site, monkeypatch):
    """No entry_points.txt: no entry points; an *.egg-info file (distutils) likewise; both hide their name further on."""
    dist(site[0], "quiet-1.0.dist-info")
    (site[0] / "legacy-1.0.egg-info").write_text("Name: legacy\nVersion: 1.0\n", encoding="utf-8")
    dist(site[1], "quiet-2.0.dist-info", "[npnet]\nquiet = quiet.plugin\n")
    dist(site[1], "legacy-2.0.dist-info", "[npnet]\nlegacy = legacy.plugin\n")
    dist(site[1], "loud-1.0.dist-info", "[npnet]\nloud = loud.plugin\n")
    dist(site[1], "other-1.0.dist-info", "[console_scripts]\nother = other:main\n")
    assert fast(monkeypatch) == [("loud", "loud.plugin", "loud", "1.0")]


def test_missing_folders_and_the_current_directory(site, tmp_path, monkeypatch):
    """A sys.path entry that does not exist is skipped; "" is the current directory."""
    dist(site[0], "here-1.0.dist-info", "[npnet]\nhere = here.plugin\n")
    monkeypatch.chdir(site[0])
    set_path(monkeypatch, tmp_path / "missing", "", site[1])
    assert fast(monkeypatch) == [("here", "here.plugin", "here", "1.0")]


# -- when the fast path falls back ---------------------------------------------------------


@pytest.mark.parametrize(
    "metadata",
    [
        "Version: 1.0\n",  # no Name
        "Name: bad\n",  # no Version
        "Name: bad\n  folded\nVersion: 1.0\n",  # a folded Name
        "Metadata-Version: 2.1\nnot a header\nName: bad\nVersion: 1.0\n",  # the email package stops reading here
        "From somebody\nName: bad\nVersion: 1.0\n",  # an mbox envelope line
        "\n",  # a blank line first: no headers
    ],
)
def test_unusual_metadata_falls_back(site, monkeypatch, metadata):
    """Python 3.10 to 3.13 return None for a missing header, the importlib_metadata 8 backport raises KeyError."""
    dist(site[0], "bad-1.0.dist-info", "[npnet]\nbad = bad.plugin\n", metadata=metadata)
    dist(site[0], "good-1.0.dist-info", "[npnet]\ngood = good.plugin\n")
    found = fallback(monkeypatch)
    assert found is KeyError or ("good", "good.plugin", "good", "1.0") in found


def test_no_metadata_file_falls_back(site, monkeypatch):
    path = dist(site[0], "bare-1.0.dist-info", "[npnet]\nbare = bare.plugin\n")
    (path / "METADATA").unlink()
    assert fallback(monkeypatch) in ([("bare", "bare.plugin", None, None)], TypeError)


@pytest.mark.parametrize("value", ["alpha.x = y", "not-a-module", "alpha:"])
def test_a_malformed_value_falls_back(site, monkeypatch, value):
    """Python 3.10 to 3.13 list it (it fails to load), the importlib_metadata 8 backport raises ValueError."""
    dist(site[0], "odd-1.0.dist-info", f"[console_scripts]\nodd = {value}\n[npnet]\nfine = odd.plugin\n")
    assert fallback(monkeypatch) in ([("fine", "odd.plugin", "odd", "1.0")], ValueError)


@pytest.mark.parametrize("dirname", ["Upper-1.0.DIST-INFO", "-1.0.dist-info"])
def test_a_folder_named_unusually_falls_back(site, monkeypatch, dirname):
    """A suffix in another case, or no name before '-': importlib.metadata takes the name from METADATA."""
    dist(
        site[0], dirname, "[npnet]\nodd = odd.plugin\n", metadata="Name: Odd\nVersion: 1.0\n", metadata_file="METADATA"
    )
    assert fallback(monkeypatch) == [("odd", "odd.plugin", "Odd", "1.0")]


@pytest.mark.parametrize("line", ["not an entry point", "; a semicolon comment"])
def test_a_line_without_equals_makes_both_paths_raise(site, monkeypatch, line):
    """importlib.metadata raises TypeError on such a line in any section (';' is no comment to it): so does discover()."""
    dist(site[0], "broken-1.0.dist-info", f"[console_scripts]\n{line}\n")
    assert fallback(monkeypatch) is TypeError


def test_undecodable_entry_points_make_both_paths_raise(site, monkeypatch):
    path = dist(site[0], "latin-1.0.dist-info")
    (path / "entry_points.txt").write_bytes(b"[npnet]\nlatin = caf\xe9.plugin\n")
    assert fallback(monkeypatch) is UnicodeDecodeError


def test_a_zip_on_sys_path_falls_back(site, monkeypatch):
    """importlib.metadata reads the metadata folders inside zip files: the fast path leaves that to it."""
    archive = site[2] / "zipped.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("zipped-1.0.dist-info/METADATA", "Name: zipped\nVersion: 1.0\n")
        zipped.writestr("zipped-1.0.dist-info/entry_points.txt", "[npnet]\nzipped = zipped.plugin\n")
    dist(site[0], "plain-1.0.dist-info", "[npnet]\nplain = plain.plugin\n")
    set_path(monkeypatch, site[0], archive)
    assert fallback(monkeypatch) == [
        ("plain", "plain.plugin", "plain", "1.0"),
        ("zipped", "zipped.plugin", "zipped", "1.0"),
    ]


def test_an_unzipped_egg_on_sys_path_falls_back(site, monkeypatch):
    egg = site[2] / "eggy-1.0-py3.egg"
    dist(egg, "EGG-INFO", "[npnet]\neggy = eggy.plugin\n", metadata="Name: eggy\nVersion: 1.0\n")
    set_path(monkeypatch, site[0], egg)
    assert fallback(monkeypatch) == [("eggy", "eggy.plugin", "eggy", "1.0")]


def test_a_meta_path_finder_that_finds_distributions_falls_back(site, monkeypatch):
    """A finder with find_distributions (other than PathFinder) may know distributions that are no folders."""

    class Finder:
        found: List[Any] = []

        def find_spec(self, *args: Any) -> None:
            return None

        def find_distributions(self, context: Any = None) -> List[Any]:
            self.found.append(context)
            return []

    dist(site[0], "plain-1.0.dist-info", "[npnet]\nplain = plain.plugin\n")
    monkeypatch.setattr(sys, "meta_path", [*sys.meta_path, Finder()])
    assert fallback(monkeypatch) == [("plain", "plain.plugin", "plain", "1.0")]
    assert Finder.found  # importlib.metadata asked it


# -- loading ------------------------------------------------------------------------------


@pytest.fixture
def module_on_path(site, monkeypatch):
    """A module ``fastpath_plugin`` (with ``Outer.Inner``) in the first sys.path folder; removed afterwards."""
    (site[0] / "fastpath_plugin.py").write_text("class Outer:\n    class Inner:\n        pass\n", encoding="utf-8")
    monkeypatch.delitem(sys.modules, "fastpath_plugin", raising=False)
    yield site
    sys.modules.pop("fastpath_plugin", None)


def test_load_follows_the_value_as_importlib_metadata_does(module_on_path, monkeypatch):
    """module, module:attr, module:attr.sub, spaces around ':', extras: the same object as EntryPoint.load()."""
    values = [
        "fastpath_plugin",
        "fastpath_plugin:Outer",
        "fastpath_plugin:Outer.Inner",
        "fastpath_plugin : Outer.Inner [extra]",
    ]
    lines = "".join(f"v{i} = {value}\n" for i, value in enumerate(values))
    dist(module_on_path[0], "loader-1.0.dist-info", f"[npnet]\n{lines}")
    fast(monkeypatch)
    mine = {s.name: s for s in from_sys_path(monkeypatch)}
    theirs = {s.name: s for s in _discovery._from_importlib_metadata()}
    assert sorted(mine) == sorted(theirs) == [f"v{i}" for i in range(len(values))]
    for name, source in mine.items():
        assert source.load() is theirs[name].load()
    module = sys.modules["fastpath_plugin"]
    assert mine["v0"].load() is module and mine["v2"].load() is module.Outer.Inner


def test_load_errors(module_on_path):
    """A missing module or attribute raises as EntryPoint.load() does; a malformed value is a ValueError."""
    with pytest.raises(ModuleNotFoundError):
        _metadata_folders._EntryPoint("x", "fastpath_missing:thing", "npnet").load()
    with pytest.raises(AttributeError):
        _metadata_folders._EntryPoint("x", "fastpath_plugin:Outer.Missing", "npnet").load()
    with pytest.raises(ValueError, match="not a valid entry point"):
        _metadata_folders._EntryPoint("x", "not a/module", "npnet").load()
