"""Every fenced ``python`` and ``bash`` block of README.md runs, as written, in a fresh temporary folder; a
``text`` block that starts with ``$ `` and runs ``derive ...`` (or ``./dev derive ...``) is a transcript: its
commands run in order in one folder, and each one's output is compared with what the README shows.

How a block is run:
- a fresh folder each; ``derive`` and ``python`` are the venv's, and ``./dev derive ...`` runs the venv's derive
  (what ``./dev`` does once its venv is set up);
- a file of the clone that the block names (``derive/examples/xor.csv``, ``tests/data/...``) is copied in at
  the same relative path first, so a block reads exactly what a fresh clone has;
- ``python -m benchmarks.X`` finds the clone's benchmarks (PYTHONPATH).

A block can be marked on the line just before its fence:
- ``<!-- readme-test: skip REASON -->``  not run (a server, a display, a cluster, the whole suite); the
  test is reported as skipped with REASON;
- ``<!-- readme-test: needs PROGRAM -->``  skipped, saying so, when PROGRAM is not installed;
- ``<!-- readme-test: slow -->``  run with a longer time limit;
- ``<!-- readme-test: output varies -->``  a transcript whose output is not compared (timings);
- ``<!-- readme-test: abridged -->``  a transcript that shows a summary of the output, not all of it: its
  commands must run (exit 0, 1 or 2) and every line it shows must appear in what they print.
In a transcript, a line ``...`` stands for any number of lines, and ``...`` within a line for any text;
trailing spaces are ignored.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BIN = Path(sys.executable).parent
LIMIT, SLOW_LIMIT = 300, 900          # seconds for one block (a loaded 2-core machine)
MARK = re.compile(r"^<!--\s*readme-test:\s*(.*?)\s*-->\s*$")
TRANSCRIPT = re.compile(r"^\$ (\./dev derive|derive)\b")


@dataclass
class Block:
    lang: str
    line: int          # the fence's line in README.md (1-based)
    text: str
    mark: str          # the readme-test marker before the fence, or ""

    @property
    def id(self) -> str:
        return f"{self.lang}-line{self.line}"


def blocks(text: str) -> list[Block]:
    """The README's fenced blocks that run: python, bash, and text transcripts of derive commands."""
    lines, out, i = text.split("\n"), [], 0
    while i < len(lines):
        m = re.match(r"^```(\w*)\s*$", lines[i])
        if not m:
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
        body = "\n".join(lines[i + 1:end])
        mark = MARK.match(lines[i - 1]) if i else None
        lang = m.group(1)
        transcript = body.startswith("$ ") and any(TRANSCRIPT.match(x) for x in body.split("\n"))
        if lang in ("python", "bash") or (lang in ("text", "console") and transcript):
            out.append(Block(lang if lang in ("python", "bash") else "transcript", i + 1, body,
                             mark.group(1) if mark else ""))
        i = end + 1
    return out


def tracked() -> list[str]:
    r = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    return r.stdout.split() if r.returncode == 0 else []


def named_files(text: str) -> dict[str, str]:
    """Clone files a block names, as {where in the folder: the clone's file}: by a relative path
    (derive/examples/xor.csv, tests/data/...), or by a bare file name that one tracked file has (mazur.md)."""
    found, files = {}, None
    for token in re.findall(r"(?<![\w/.-])[\w.\-]+(?:/[\w.\-]+)*\.[A-Za-z]\w*", text):
        if (ROOT / token).is_file() and not token.startswith(".venv"):
            found[token] = token
        elif "/" not in token:
            files = tracked() if files is None else files
            same = [f for f in files if f.rsplit("/", 1)[-1] == token]
            if len(same) == 1:
                found[token] = same[0]
    return found


def fresh_folder(tmp_path: Path, block: Block) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    for rel, src in named_files(block.text).items():
        (work / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / src, work / rel)
    # ./dev once it has set the venv up: `./dev derive ...` runs the venv's derive (the real script would
    # reinstall a venv whose pyproject.toml changed, under everyone else's feet)
    (work / "dev").write_text(f'#!/bin/sh\ncmd="$1"; shift; exec "{BIN}/$cmd" "$@"\n')
    (work / "dev").chmod(0o755)
    return work


def environment(tmp_path: Path) -> dict:
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", PYTHONPATH=str(ROOT),
               MPLBACKEND="Agg", OMP_NUM_THREADS="1", TMPDIR=str(tmp_path))
    for k in ("DERIVE_DEBUG", "DISPLAY", "BROWSER"):
        env.pop(k, None)
    return env


def skip_reason(block: Block) -> str | None:
    if block.mark.startswith("skip"):
        return f"README line {block.line}: {block.mark[4:].strip() or 'marked skip'}"
    if block.mark.startswith("needs"):
        missing = [p for p in block.mark.split()[1:] if shutil.which(p) is None]
        if missing:
            return f"README line {block.line}: needs {', '.join(missing)}, not installed here"
    return None


def run(cmd: list[str], work: Path, env: dict, block: Block, stdin: str | None = None):
    """Run in its own process group: past the time limit the block and everything it started is killed."""
    limit = SLOW_LIMIT if block.mark.startswith("slow") else LIMIT
    proc = subprocess.Popen(cmd, cwd=work, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(stdin, timeout=limit)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"README line {block.line}: still running after {limit} s (mark it slow or skip)")
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def transcript(text: str) -> list[tuple[str, list[str]]]:
    """(command, the output lines shown after it) for each ``$ `` line."""
    out = []
    for line in text.split("\n"):
        if line.startswith("$ "):
            out.append((line[2:], []))
        elif out:
            out[-1][1].append(line.rstrip())
    return out


def matches(shown: list[str], got: list[str]) -> bool:
    """The shown lines equal the printed ones, ``...`` standing for any number of lines."""
    while shown and not shown[-1]:
        shown = shown[:-1]
    line = lambda s: ".*?".join(re.escape(part) for part in s.split("...")) + r"\n"   # noqa: E731
    pattern = "".join(r"(?:[^\n]*\n)*?" if s == "..." else line(s) for s in shown)
    return re.fullmatch(pattern + r"\n*", "\n".join(got).rstrip("\n") + "\n") is not None


ALL = blocks(README.read_text(encoding="utf-8"))


def test_the_readme_has_blocks_to_run():
    assert sum(b.lang == "python" for b in ALL) >= 1 and sum(b.lang == "bash" for b in ALL) >= 1
    assert sum(b.lang == "transcript" for b in ALL) >= 1


@pytest.mark.parametrize("block", ALL, ids=[b.id for b in ALL])
def test_readme_block(block: Block, tmp_path):
    reason = skip_reason(block)
    if reason:
        pytest.skip(reason)
    work, env = fresh_folder(tmp_path, block), environment(tmp_path)
    if block.lang == "python":
        r = run([str(BIN / "python"), "-"], work, env, block, stdin=block.text)
        assert r.returncode == 0, f"README line {block.line}:\n{r.stderr[-3000:]}"
    elif block.lang == "bash":
        r = run(["bash", "-euo", "pipefail", "-c", block.text], work, env, block)
        assert r.returncode == 0, f"README line {block.line}:\n{r.stdout[-1500:]}\n{r.stderr[-3000:]}"
    else:
        for command, shown in transcript(block.text):
            r = run(["bash", "-c", command], work, env, block)
            got = (r.stdout + r.stderr).rstrip("\n").split("\n")
            assert r.returncode in (0, 1, 2), f"README line {block.line}: {command}: {r.stderr[-2000:]}"
            if block.mark.startswith("output varies"):
                continue
            if block.mark.startswith("abridged"):
                printed = "\n".join(g.rstrip() for g in got)
                missing = [x for x in shown if x.strip() and x.strip() != "..."
                           and not re.search(".*?".join(re.escape(p) for p in x.strip().split("...")), printed)]
                assert not missing, f"README line {block.line}: `{command}` does not print {missing[:3]}"
                continue
            assert matches(shown, [g.rstrip() for g in got]), (
                f"README line {block.line}: `{command}` prints\n" + "\n".join(got[:60])
                + "\n\nbut the README shows\n" + "\n".join(shown))


def test_the_transcript_comparison_can_fail():
    assert matches(["a", "...", "d"], ["a", "b", "c", "d"]) and matches(["a", "..."], ["a", "b"])
    assert matches(["x = 1, ..., z = 3"], ["x = 1, y = 2, z = 3"]) and not matches(["x ... z"], ["x y"])
    assert not matches(["a", "d"], ["a", "b", "d"]) and not matches(["x"], ["y"])


def spec_examples() -> list[tuple[int, str]]:
    """docs/spec-format.md's complete specs: every yaml block with a top-level ``name:``."""
    text = (ROOT / "docs" / "spec-format.md").read_text(encoding="utf-8")
    return [(b.line, b.text) for b in _fenced(text, "yaml") if re.search(r"(?m)^name:", b.text)]


def _fenced(text: str, lang: str) -> list[Block]:
    lines, out = text.split("\n"), []
    for i, line in enumerate(lines):
        if line.strip() == f"```{lang}":
            end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
            out.append(Block(lang, i + 1, "\n".join(lines[i + 1:end]), ""))
    return out


def test_the_spec_reference_is_in_the_repository_and_linked():
    readme = README.read_text(encoding="utf-8")
    assert "docs/spec-format.md" in readme and "../shared" not in readme
    forms = {re.search(r"(?m)^(layers|graph|tensor):", text).group(1) for _, text in spec_examples()}
    assert forms == {"layers", "graph", "tensor"}


@pytest.mark.parametrize("line, text", spec_examples(), ids=[f"line{n}" for n, _ in spec_examples()])
def test_every_spec_in_the_reference_loads_and_verifies(line, text, tmp_path):
    (tmp_path / "spec.yaml").write_text(text, encoding="utf-8")
    r = run([str(BIN / "derive"), "verify", "spec.yaml", "--json"], tmp_path, environment(tmp_path),
            Block("yaml", line, text, ""))
    assert r.returncode == 0, f"docs/spec-format.md line {line}: {r.stdout[-500:]} {r.stderr[-1500:]}"
