"""The labelled corpus of wrong answers (tests/data/wrong_answers.csv, made by tests/make_corpus.py).

Each answer is a textbook gradient with a known mistake.  The checker must call every one incorrect;
the share that gets exactly the labelled diagnosis is asserted at its measured level, and every
diagnosis given must be right (precision 100%): otherwise "incorrect" with a counterexample.
"""
import csv
from collections import Counter
from pathlib import Path

import pytest

import derive
from derive.checking.checker import checker_for

DATA = Path(__file__).parent / "data"
FAMILY = {"wrong_weight_index": "wrong_weight", "wrong_weight_layer": "wrong_weight", "wrong_weight": "wrong_weight"}
SHARE = 1.0          # measured: 345 of 345 (2026-11-25)


def networks():
    return {"seed002": derive.load("seed002"), "seed001": derive.load("seed001"),
            "tanh": derive.mlp([2, 2, 2], activation="tanh"), "relu": derive.mlp([2, 2, 2], activation="relu"),
            "softmax": derive.mlp([2, 2, 3], activation="tanh", output_activation="softmax", loss="ce"),
            "graph": derive.load(str(DATA / "graph_sigmoid.yaml")),
            "mse": derive.mlp([2, 2, 3], activation="sigmoid", loss="mse")}


def grade_corpus():
    nets = {k: checker_for(v) for k, v in networks().items()}
    rows = list(csv.DictReader(open(DATA / "wrong_answers.csv", encoding="utf-8")))
    out = []
    for r in rows:
        v = nets[r["network"]].check(r["param"], r["answer"])
        kinds = {FAMILY.get(m.kind, m.kind) for m in v.diagnosis}
        out.append((r, v, kinds, set(r["labels"].split())))
    return out


@pytest.fixture(scope="module")
def graded():
    return grade_corpus()


def test_corpus_size(graded):
    assert len(graded) >= 150
    assert len({r["network"] for r, *_ in graded}) >= 5


def test_every_wrong_answer_is_incorrect(graded):
    assert [r["answer"] for r, v, *_ in graded if v.correct] == []


def test_diagnoses_are_right_when_given(graded):
    given = [(r, v, k, lab) for r, v, k, lab in graded if v.diagnosis]
    wrong = [(r["network"], r["param"], r["answer"], lab, k) for r, v, k, lab in given if k != lab]
    assert wrong == []                      # precision 100%: never a wrong story
    for r, v, k, lab in graded:
        if not v.diagnosis:
            assert v.counterexample and len(v.counterexample["leaves"]) <= 12


def test_share_with_the_right_diagnosis(graded):
    right = sum(k == lab for _, _, k, lab in graded)
    assert right / len(graded) >= SHARE, Counter(" ".join(sorted(lab)) for _, v, k, lab in graded if k != lab)
