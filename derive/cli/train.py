"""``derive train``: train a network with its compiled, proven gradients."""
from __future__ import annotations

import json
import sys

from .options import add_budget, integer, plot_file, positive_number, seed

# The optimizers of derive.codegen.optim, named here so that --help needs no numpy (a test keeps them equal).
OPTIMIZERS = ("adam", "momentum", "sgd")
MAX_STEPS = 10_000_000      # derive.codegen.train.MAX_STEPS


def add_parser(sub):
    p = sub.add_parser("train", help="train a network with its compiled gradients (spec values or a CSV)")
    p.add_argument("spec", nargs="?", default="seed002",
                   help="spec file (YAML/JSON) or bundled example name (default: seed002)")
    p.add_argument("--steps", type=integer(0, MAX_STEPS), default=100, help="optimizer steps (default 100; 0: start only)")
    p.add_argument("--lr", type=positive_number(1e6), default=None,
                   help="learning rate (default: the spec's values.learning_rate, else 0.1)")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default=None,
                   help="default: sgd; for a tensor program adam (sgd when only --lr is given)")
    p.add_argument("--batch", type=integer(1, 10**9), default=None, help="minibatch size (default: all examples)")
    p.add_argument("--data", metavar="FILE.csv",
                   help="training data: a header naming the inputs and targets, one example per row "
                        "(default: the spec's values, one example)")
    p.add_argument("--test", metavar="FILE.csv", help="held-out data to report loss and accuracy on")
    p.add_argument("--seed", type=seed, default=0, help="seed for random starting values and minibatches")
    p.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                   help="precision of the data, the parameters and the generated code's arrays")
    p.add_argument("--log-every", type=integer(1, MAX_STEPS), default=None, metavar="N",
                   help="loss on all the training data every N steps (default: once per epoch); "
                        "the minibatch loss of every step is recorded anyway")
    p.add_argument("--json", action="store_true",
                   help='print {"loss": [...], "gradients": {...}, "params": {...}} only')
    p.add_argument("--plot", type=plot_file, metavar="FILE.png", help="draw the loss curve (.png, .svg or .pdf)")
    p.add_argument("--epochs", type=integer(0, 100_000), default=1,
                   help="a .keras model: epochs of model.fit to replay (default 1, as fit; --batch default 32)")
    add_budget(p)
    return p


def run(args) -> int:
    from .. import api
    from ..api import frameworks
    if frameworks.FACTORY.fullmatch(str(args.spec)) or str(args.spec).lower().endswith(".keras"):
        return _fit(args, frameworks)
    options = dict(steps=args.steps, lr=args.lr, optimizer=args.optimizer, batch=args.batch, data=args.data,
                   seed=args.seed, dtype=args.dtype, log_every=args.log_every, plot=args.plot)
    if args.json:
        json.dump(api.train(args.spec, **options), sys.stdout, indent=1)
        print()
        return 0
    t = api.training(args.spec, **options)
    if t.tensor:
        print(f"{t.name}: a random batch at " + ", ".join(f"{k} = {v}" for k, v in t.sizes.items())
              + f", {t.optimizer}, lr {t.lr:g}, {t.steps} steps, seed {t.seed}")
    else:
        n = len(t.X)
        print(f"{t.name}: {n} example{'s' if n != 1 else ''}, {t.optimizer}, lr {t.lr:g}, {t.steps} steps, "
              f"batch {t.batch or n}, seed {t.seed}")
    print(f"loss {t.hist.losses[0]:.6g} -> {t.hist.losses[-1]:.6g} in {t.hist.seconds:.2f} s")
    if t.labels:
        print(f"training accuracy {t.accuracy():.2%}")
    if args.test and not t.tensor:
        test = t.test(args.test)
        line = f"test loss {test['loss']:.6g} ({test['examples']} examples)"
        if "accuracy" in test:
            line += f", test accuracy {test['accuracy']:.2%}"
        print(line)
    if args.plot:
        print(f"loss curve: {args.plot}")
    return 0


def _fit(args, frameworks) -> int:
    """A Keras file: replay model.fit (shuffle off) from its weights with its compiled optimizer."""
    from ..errors import DeriveError
    if args.test:
        raise DeriveError("--test is not read for a .keras file or model.py:factory (give the data to --data)")
    rep = frameworks.fit(args.spec, args.data, epochs=args.epochs, batch=args.batch or 32,
                         optimizer=args.optimizer, lr=args.lr)
    if args.plot:
        from ..codegen.train import plot
        plot(rep["history"]["loss"], args.plot, f"{rep['model']}: loss per epoch",
             list(range(1, len(rep["history"]["loss"]) + 1)))
    if args.json:
        json.dump(rep, sys.stdout, indent=1)
        print()
        return 0
    losses = rep["history"]["loss"]
    print(f"{rep['model']}: {rep['examples']} examples, {rep['optimizer']['name'] if rep['optimizer'] else '?'}, "
          f"{rep['epochs']} epochs, batch {rep['batch_size']}, shuffle off (as model.fit(..., shuffle=False))")
    if losses:
        print(f"loss per epoch {losses[0]:.6g} -> {losses[-1]:.6g}")
    return 0
