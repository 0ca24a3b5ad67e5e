"""What ``derive --help`` and ``derive COMMAND --help`` say after the options: examples that run as
written (bundled examples only), what the exit codes mean, where to read more."""
from __future__ import annotations

import argparse

MAIN = """\
SPEC is a spec file (YAML or JSON, see docs/spec-format.md) or a bundled example's name:
  networks classic, digits, seed000 ... seed004, xor; tensor programs cs231n, ninja, batchnorm, conv1d,
  rnn, residual.

examples:
  derive verify                    prove every gradient of seed002 (the default example)
  derive check seed002 --param w11 --answer "delta_z1*x1"
  derive notes seed000 --lang ko   lecture notes in output/seed000/
  derive serve                     the web page on http://127.0.0.1:8000/

exit codes: 0 done (proven, correct), 1 a negative verdict (not proven, incorrect), 2 unusable input
(one line on stderr), 3 a bug in derive.  Every command takes --json for scripts.
derive COMMAND --help says more about each command."""

COMMANDS = {
    "verify": """\
examples:
  derive verify seed000            chain rule vs direct differentiation, proven equal, parameter by parameter
  derive verify cs231n             a tensor program: its backward pass, tensor by tensor
  derive verify digits --json      the same as JSON (large expressions by their size; --full: all of them)""",
    "check": """\
examples:
  derive check seed002 --param w11 --answer "delta_z1*x1"
  derive check seed002 --param w11 --answer "\\delta_{z_1} x_1"     LaTeX reads too
  derive check seed002 --derivation my-derivation.md             every $a = b$ checked step by step
  derive check cs231n --backward my_backward.py                  a backward pass, line by line
An answer a = b = c claims every side is the derivative: each side is checked, a wrong one named.
Exit 0 correct, 1 incorrect, 2 unusable input.""",
    "grade": """\
examples:
  derive grade seed002 answers.csv              one row per answer: correct, incorrect, unanswered, unusable
  derive grade seed002 answers.csv --json       the report as JSON (--out report.csv: CSV and JSON files)
  derive grade seed002 quiz.csv --answer-column "Response 1=w11"   an LMS export's column named
The CSV has a header id,param,answer; param as the notes print it (w11, w_{11}). An empty cell, "-" or
"(no answer)" is unanswered.""",
    "train": """\
examples:
  derive train seed002 --steps 100                          on the spec's own values
  derive train xor --data xor.csv --optimizer adam --lr 0.1 --steps 1000
  derive train digits --data train.csv --test test.csv --batch 64 --plot loss.png
The CSV's header names the spec's inputs and targets.""",
    "export": """\
examples:
  derive export seed002 -o seed002_grad.py      forward, loss, gradients and START; imports only numpy
  derive export cs231n -o cs231n_grad.py        a tensor program: forward and gradients, positional arguments""",
    "notes": """\
examples:
  derive notes seed002                             output/seed002/notes.en.{md,tex,html}
  derive notes seed000 --lang en,ko --format pdf   PDF (needs pdflatex; ko and ja need xelatex)
  derive notes seed002 --param w11 --notation theta
  derive notes digits --format html                a large network: the layer form and a sample
Files are written into --out (default ./output), never outside it.""",
    "serve": """\
examples:
  derive serve                      http://127.0.0.1:8000/ (this machine only)
  derive serve --port 8080 --open   another port, and open a browser
  derive serve --port 0 --json      any free port; prints {"url": ...} once ready
A port in use is one line naming --port; --host other than 127.0.0.1 serves the whole network.""",
    "warm": """\
examples:
  derive warm                       start this user's warm checker in the background (stops after 30 idle minutes)
  derive warm --status              running? (exit 1: not running)
  derive warm --stop
While it runs, derive check with a new answer is answered by a worker forked from it: the same output,
without the start-up's imports.  The second derive check within 10 minutes that finds none running starts
one by itself (derive warm --idle 10).  DERIVE_WARM=manual: only derive warm starts one; DERIVE_WARM=off:
derive check never uses one.""",
}


def attach(parser: argparse.ArgumentParser) -> None:
    """Give the parser and each subcommand's parser its epilog, kept as written (line breaks and all)."""
    parser.epilog, parser.formatter_class = MAIN, argparse.RawDescriptionHelpFormatter
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                if name in COMMANDS and not sub.epilog:
                    sub.epilog, sub.formatter_class = COMMANDS[name], argparse.RawDescriptionHelpFormatter
