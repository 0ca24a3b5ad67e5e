"""Write tests/data/wrong_answers.csv: wrong gradients, each made by one labelled usual mistake.

Run ``python tests/make_corpus.py`` to regenerate.  Each answer is the textbook chain-rule formula
(one product of local derivatives per path) with a mistake made on purpose, written in the
spec's plain names as a student types them; its label says which mistake(s).  Softmax/ce answers
are written by hand from the textbook form (a - y) a_prev.  The diagnoser never sees the labels.
"""
from __future__ import annotations

import csv
import sys
from pathlib import Path

import sympy as sp

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))

import derive  # noqa: E402
from derive.checking.checker import checker_for  # noqa: E402
from derive.checking.diagnose import paths_between  # noqa: E402

GRAPH = HERE / "data" / "graph_sigmoid.yaml"
NETWORKS = {
    "seed002": lambda: derive.load("seed002"),
    "tanh": lambda: derive.mlp([2, 2, 2], activation="tanh"),
    "relu": lambda: derive.mlp([2, 2, 2], activation="relu"),
    "graph": lambda: derive.load(str(GRAPH)),
    "seed001": lambda: derive.load("seed001"),
    "mse": lambda: derive.mlp([2, 2, 3], activation="sigmoid", loss="mse"),   # 1/m of the mean over m = 3 outputs
}


def text(e) -> str:
    return str(e).replace("**", "^")


def act_factor(net, value) -> bool:
    return value != 1 and not (isinstance(value, sp.Symbol) and net.nodes.get(value.name)
                               and net.nodes[value.name].kind in ("param", "input"))


def mistakes(c, param):
    """(label, wrong expression) pairs for one parameter."""
    net = c.net
    paths = paths_between(c, param, net.loss)
    local = {e: net.nodes[e[0]].local_of(e[1]) for p in paths for e in p[1]}
    terms = [sp.Mul(*[local[e] for e in p[1]]) for p in paths]
    right = sp.Add(*terms)
    out = []

    def with_edge(edge, value):
        return sp.Add(*[sp.Mul(*[(value if e == edge else local[e]) for e in p[1]]) for p in paths])

    if len(terms) > 1:
        for i in range(len(terms)):
            out.append(("missing_path", right - terms[i]))
            out.append(("sign_flipped", right - 2 * terms[i]))
        out.append(("missing_path sign_flipped", -terms[0]))
    out.append(("sign_flipped", -right))
    out.append(("constant_factor", 2 * right))
    out.append(("constant_factor", right / 2))
    out.append(("learning_rate", sp.Symbol("alpha") * right))
    m = len(net.spec.outputs)
    if net.spec.loss == "mse" and m > 2:
        out.append(("constant_factor", m * right))                          # the 1/m of the mean dropped
        out.append(("constant_factor", sp.Rational(m, 2) * right))          # the 2/m dropped
    first = paths[0][1][0]                                  # (pre, param): d pre / d param = the input
    if isinstance(local[first], sp.Symbol):
        out.append(("input_dropped", with_edge(first, sp.S.One)))
        out.append(("input_extra", with_edge(first, local[first] ** 2)))
    acts = [e for e in paths[0][1] if net.nodes[e[0]].kind in ("act", "node") and act_factor(net, local[e])
            and net.nodes[e[0]].expr is not None and isinstance(net.nodes[e[0]].expr, sp.Function)]
    for e in acts[:2]:
        a = net.nodes[e[0]].symbol
        out.append(("activation_derivative_dropped", with_edge(e, sp.S.One)))
        out.append(("activation_derivative_as_value", with_edge(e, a)))
        if local[e] == a * (1 - a):
            out.append(("activation_derivative_sign", with_edge(e, a * (1 + a))))
        if local[e] == 1 - a ** 2:
            out.append(("activation_derivative_sign", with_edge(e, 1 + a ** 2)))
        others = [n for n in net.nodes.values() if n.kind == net.nodes[e[0]].kind and n.name != e[0]
                  and n.expr is not None and isinstance(n.expr, sp.Function)]
        for o in others[:2]:
            out.append(("activation_derivative_wrong_unit", with_edge(e, local[e].xreplace({a: o.symbol}))))
        out.append(("activation_derivative_dropped constant_factor", 2 * with_edge(e, sp.S.One)))
    weights = [e for e in paths[0][1] if isinstance(local[e], sp.Symbol) and net.nodes[local[e].name].kind == "param"]
    for e in weights[:1]:               # another weight into the same layer (another unit or input)
        w = local[e].name
        layer = {net.nodes[u].layer for u in net.consumers[w]}
        same = [q for q in net.params if q not in (w, param) and {net.nodes[u].layer for u in net.consumers[q]} == layer]
        for q in same[:2]:
            out.append(("wrong_weight", with_edge(e, net.nodes[q].symbol)))
    on_paths = [e for p in paths for e in p[1] if isinstance(local[e], sp.Symbol)
                and net.nodes[local[e].name].kind == "param"]
    for e in on_paths:                  # a weight on a path with its two indices in the wrong order
        q = swapped(net, local[e].name)
        if q:
            out.append(("wrong_weight", with_edge(e, net.nodes[q].symbol)))
            break
    for q in net.trainable:
        if q != param:
            other = c.derivation.gradient(q).delta_form
            if c.compare(other, c.derivation.gradient(param).delta_form)[0] is False:
                out.append(("other_parameter", other))
                break
    return out


def swapped(net, w: str) -> str | None:
    """The weight w_ji of the layer of w_ij (None if the layer has none, or i = j)."""
    for L in net.spec.layers or ():
        for j, row in enumerate(L.weights):
            if w in row:
                i = row.index(w)
                if i != j and i < len(L.weights) and j < len(L.weights[i]):
                    return L.weights[i][j]
    return None


SOFTMAX = [   # 2-2-3 tanh/softmax/ce (derive.mlp names): dJ/dw2_11 = (a2_1 - y1) a1_1
    ("w2_11", "sign_flipped", "(y1 - a2_1)*a1_1"),
    ("w2_11", "input_dropped", "a2_1 - y1"),
    ("w2_11", "other_parameter", "(a2_2 - y2)*a1_1"),
    ("w2_11", "other_parameter", "(a2_1 - y1)*a1_2"),
    ("w2_11", "constant_factor", "2*(a2_1 - y1)*a1_1"),
    ("w2_11", "learning_rate", "alpha*(a2_1 - y1)*a1_1"),
    ("w2_11", "input_extra", "(a2_1 - y1)*a1_1^2"),
    ("w1_11", "sign_flipped", "-((a2_1-y1)*w2_11 + (a2_2-y2)*w2_21 + (a2_3-y3)*w2_31)*(1-a1_1^2)*x1"),
    ("w1_11", "activation_derivative_dropped", "((a2_1-y1)*w2_11 + (a2_2-y2)*w2_21 + (a2_3-y3)*w2_31)*x1"),
    ("w1_11", "activation_derivative_as_value", "((a2_1-y1)*w2_11 + (a2_2-y2)*w2_21 + (a2_3-y3)*w2_31)*a1_1*x1"),
    ("w1_11", "activation_derivative_sign", "((a2_1-y1)*w2_11 + (a2_2-y2)*w2_21 + (a2_3-y3)*w2_31)*(1+a1_1^2)*x1"),
    ("w1_11", "input_dropped", "((a2_1-y1)*w2_11 + (a2_2-y2)*w2_21 + (a2_3-y3)*w2_31)*(1-a1_1^2)"),
    ("w1_11", "constant_factor", "2*((a2_1-y1)*w2_11 + (a2_2-y2)*w2_21 + (a2_3-y3)*w2_31)*(1-a1_1^2)*x1"),
    ("w1_11", "other_parameter", "((a2_1-y1)*w2_12 + (a2_2-y2)*w2_22 + (a2_3-y3)*w2_32)*(1-a1_2^2)*x1"),
    ("w1_11", "missing_path", "((a2_1-y1)*w2_11 + (a2_2-y2)*w2_21)*(1-a1_1^2)*x1"),
    ("w1_11", "learning_rate", "alpha*((a2_1-y1)*w2_11 + (a2_2-y2)*w2_21 + (a2_3-y3)*w2_31)*(1-a1_1^2)*x1"),
    ("w1_11", "wrong_weight", "((a2_1-y1)*w2_12 + (a2_2-y2)*w2_21 + (a2_3-y3)*w2_31)*(1-a1_1^2)*x1"),
    ("w1_21", "wrong_weight", "((a2_1-y1)*w2_21 + (a2_2-y2)*w2_22 + (a2_3-y3)*w2_32)*(1-a1_2^2)*x1"),  # w2_12 swapped
    ("w1_21", "activation_derivative_wrong_unit", "((a2_1-y1)*w2_12 + (a2_2-y2)*w2_22 + (a2_3-y3)*w2_32)*(1-a1_1^2)*x1"),
    ("w1_21", "activation_derivative_sign", "((a2_1-y1)*w2_12 + (a2_2-y2)*w2_22 + (a2_3-y3)*w2_32)*(1+a1_2^2)*x1"),
    ("w1_21", "input_dropped", "((a2_1-y1)*w2_12 + (a2_2-y2)*w2_22 + (a2_3-y3)*w2_32)*(1-a1_2^2)"),
    ("w2_32", "other_parameter", "(a2_3 - y3)*a1_1"),
    ("w2_32", "input_dropped", "a2_3 - y3"),
    ("w2_32", "sign_flipped", "(y3 - a2_3)*a1_2"),
]


def main():
    rows = []
    for name, make in NETWORKS.items():
        c = checker_for(make())
        params = [c.net.trainable[0], c.net.trainable[-1]]
        if len(c.net.trainable) > 3:
            params.insert(1, c.net.trainable[1])
        for p in dict.fromkeys(params):
            right = c.derivation.gradient(p).delta_form
            for label, e in mistakes(c, p):
                if not c.compare(e, right)[0]:          # a "mistake" that changes nothing is no mistake
                    rows.append((name, p, text(e), label))
    rows += [("softmax", p, a, lab) for p, lab, a in SOFTMAX]
    out = HERE / "data" / "wrong_answers.csv"
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["network", "param", "answer", "labels"])
        w.writerows(rows)
    print(f"{len(rows)} wrong answers over {len(NETWORKS) + 1} networks -> {out}")


if __name__ == "__main__":
    main()
