"""Every ```python block in README.md and docs/*.md runs, so what a reader copies works.

A block is one of three kinds, told by an HTML comment on the line before it (the comment
does not show on GitHub, PyPI or the docs site):

- ``<!-- file: NAME.py -->``: a file the reader saves. The page's files are written to a
  scratch folder and its ``test_*.py`` files must pass under pytest there, as the reader runs
  them. A file of one name is the same on every page, and ``examples/NAME.py`` is it.
- ``<!-- not run: REASON -->``: a fragment that cannot run here (an audio device callback, a
  framework that is not installed); the reason says why, and what runs it instead.
- no comment: the block runs, after the page's earlier blocks, in one namespace per page, with
  top-level ``await`` allowed, against a ``FakeLiveServer``. As the pages say, the snippets use
  ``client`` (a ``genai.Client``, here the server's), ``MODEL`` and ``CONFIG`` as
  ``examples/my_app.py`` defines them. The shim is turned off after each block, and a warning or
  error the library logs fails the page.

Nothing is skipped without a stated reason.
"""

from __future__ import annotations

import ast
import asyncio
import hashlib
import inspect
import logging
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gemini_live_interrupt import disable_interrupt_resume
from gemini_live_interrupt.testing import FakeLiveServer

from .conftest import needs_context_update

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^(\s*)```\s*(\w*)")
MARK = re.compile(r"<!--\s*(file|not run):\s*(.*?)\s*-->")
MODEL = "gemini-2.5-flash-native-audio-preview-12-2025"
CONFIG = {"response_modalities": ["AUDIO"]}  # as in examples/my_app.py


@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # of the opening fence, 1-based
    language: str
    code: str
    kind: str  # "run", "file" or "not run"
    arg: str  # the file's name, or the reason it is not run

    def __str__(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks_of(page: Path) -> list[Block]:
    """The fenced code blocks of a page, with the marker on the line before each (if any)."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        indent, language = opening.groups()
        end = next(j for j in range(i + 1, len(lines))
                   if lines[j].strip() == "```" and lines[j].startswith(indent))
        code = "\n".join(line[len(indent):] for line in lines[i + 1:end]) + "\n"
        before = next((lines[k] for k in range(i - 1, -1, -1) if lines[k].strip()), "")
        mark = MARK.fullmatch(before.strip())
        kind, arg = mark.groups() if mark else ("run", "")
        found.append(Block(page, i + 1, language, code, kind, arg))
        i = end + 1
    return found


BLOCKS = [block for page in PAGES for block in blocks_of(page)]
PYTHON = [block for block in BLOCKS if block.language in ("python", "py", "python3")]


def test_the_pages_are_read() -> None:
    """The extraction finds what is there (a broken one would pass everything below)."""
    names = {block.page.name for block in PYTHON}
    assert {"README.md", "index.md", "testing.md", "frameworks.md", "pypi.md"} <= names
    readme = [block.kind for block in PYTHON if block.page.name == "README.md"]
    assert readme.count("file") == 2 and readme.count("run") >= 4


def test_every_marker_stands_before_a_python_block() -> None:
    marked = {(block.page, block.line) for block in PYTHON if block.kind != "run"}
    for page in PAGES:
        lines = page.read_text(encoding="utf-8").splitlines()
        for n, line in enumerate(lines, 1):
            if MARK.search(line):
                following = next(k for k in range(n, len(lines)) if lines[k].strip())
                assert (page, following + 1) in marked, f"{page.name}:{n}: {line.strip()}"
    for block in PYTHON:
        if block.kind == "not run":
            assert len(block.arg) > 10, f"{block}: say why it is not run"
        if block.kind == "file":
            assert re.fullmatch(r"[\w.]+\.py", block.arg), f"{block}: {block.arg!r}"
    assert not [block for block in BLOCKS if block.kind != "run" and block not in PYTHON]


def test_a_file_is_the_same_everywhere_and_is_the_example() -> None:
    files: dict[str, str] = {}
    for block in PYTHON:
        if block.kind == "file":
            assert files.setdefault(block.arg, block.code) == block.code, (
                f"{block}: {block.arg} differs from the README's")
    assert {"my_app.py", "test_my_app.py"} <= set(files)
    for name, code in files.items():
        example = ROOT / "examples" / name
        if example.exists():
            assert example.read_text(encoding="utf-8") == code, f"examples/{name} differs"


def _file_sets() -> dict[str, tuple[str, dict[str, str]]]:
    """The pages' files, one set per distinct content (identical pages run once)."""
    sets: dict[str, tuple[str, dict[str, str]]] = {}
    for page in PAGES:
        files = {b.arg: b.code for b in PYTHON if b.page == page and b.kind == "file"}
        if any(name.startswith("test_") for name in files):
            key = hashlib.sha256(repr(sorted(files.items())).encode()).hexdigest()
            sets.setdefault(key, (page.name, files))
    return {name: files for name, files in sets.values()}


FILE_SETS = _file_sets()


# The docs' model is a 2.5 one, whose channel is a context update: on a google-genai without
# one (the 2.0 lower bound) the session warns and falls back (tested in test_policies.py).
@needs_context_update
@pytest.mark.parametrize("page", sorted(FILE_SETS))
def test_the_pages_files_pass_their_tests(page: str, tmp_path: Path) -> None:
    for name, code in FILE_SETS[page].items():
        (tmp_path / name).write_text(code, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"^\d+ passed", done.stdout, re.M), done.stdout


RUN_PAGES = sorted({block.page.name for block in PYTHON if block.kind == "run"})


def _page(name: str) -> Path:
    return next(page for page in PAGES if page.name == name)


@needs_context_update
@pytest.mark.parametrize("name", RUN_PAGES)
async def test_the_pages_snippets_run(name: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="gemini_live_interrupt")
    runnable = [b for b in PYTHON if b.page == _page(name) and b.kind == "run"]
    async with FakeLiveServer(replies=lambda context: "Hello there.", speed=20) as server:
        namespace: dict[str, Any] = {"__name__": "snippet", "client": server.client(),
                                     "MODEL": MODEL, "CONFIG": dict(CONFIG)}
        for block in runnable:
            code = compile(block.code, str(block), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
            try:
                result = eval(code, namespace)  # the docs' own code
                if inspect.iscoroutine(result):
                    await asyncio.wait_for(result, timeout=60)
            finally:
                disable_interrupt_resume()
    logged = [r for r in caplog.records if r.name.startswith("gemini_live_interrupt")
              and r.levelno >= logging.WARNING]
    assert not logged, [r.getMessage() for r in logged]


def test_the_pypi_description_stands_alone() -> None:
    """PyPI shows pyproject's readme without the repository around it: no relative link, no
    editable install, nothing that needs a clone."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    readme = project["readme"]
    path = readme if isinstance(readme, str) else readme["file"]
    text = (ROOT / path).read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)]*)\)", text) + re.findall(r"""href=["']([^"']*)""", text)
    assert all(link.startswith("https://") for link in links), links
    assert "pip install -e" not in text and "examples/" not in text.replace("(`examples/`", "")
    assert "gemini-live-interrupt[testing]>=0.2" in text  # 0.1.0 has no testing extra


LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_the_readmes_links_resolve() -> None:
    """The docs site checks its own links (mkdocs build --strict); this checks the README's."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    anchors = {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
               for heading in re.findall(r"^#+ (.*)$", text, re.M)}
    for link in LINK.findall(text):
        if link.startswith("https://"):
            continue
        target, _, anchor = link.partition("#")
        if target:
            assert (ROOT / target).exists(), link
        if anchor and (not target or target == "README.md"):
            assert anchor in anchors, link
        if anchor and target.endswith(".md") and target != "README.md":
            page = (ROOT / target).read_text(encoding="utf-8")
            page_anchors = {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-")
                            for h in re.findall(r"^#+ (.*)$", page, re.M)}
            assert anchor in page_anchors, link


OWN_PAGES = PAGES


def test_no_build_paths_and_no_private_notes() -> None:
    private = "WIRE" + ".md"  # notes that never were in the repository
    for path in [*OWN_PAGES, *(ROOT / "examples").glob("*.py"),
                 *(ROOT / "gemini_live_interrupt").rglob("*.py"),
                 *(ROOT / "tests").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        assert private not in text, f"{path.relative_to(ROOT)} cites {private}"
        if path.suffix == ".md":
            assert not re.search(r"(^|[\s(`'\"])/(tmp|work|home|root)/", text), path.name
            assert "site-packages" not in text, path.name


def test_the_diagrams_are_mermaid_that_parses() -> None:
    """Mermaid ends a sequence-diagram statement at ';': a message with one shows as raw text."""
    diagrams = [block for block in BLOCKS if block.language == "mermaid"]
    assert diagrams
    for block in diagrams:
        if block.code.lstrip().startswith("sequenceDiagram"):
            for line in block.code.splitlines():
                assert ";" not in line and "#" not in line, f"{block}: {line.strip()}"
