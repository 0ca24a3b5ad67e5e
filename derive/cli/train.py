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
    p.add_argument("--optimizer", choices=OPTIMIZERS, default="sgd")
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
    add_budget(p)
    return p


def run(args) -> int:
    import numpy as np

    # A loss that overflows is derive's to report (one line naming the step), not NumPy's warnings.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _run(args, np)


def _run(args, np) -> int:
    from ..codegen import cache
    from ..codegen import train as training
    compiled = cache.load(args.spec)          # compiled before: no sympy, no symbolic network
    if compiled is None:
        from . import tensor
        if tensor.is_tensor(args.spec):
            return tensor.train(args)
        from ..codegen.compile import compile
        from ..model.build import load
        compiled = compile(load(args.spec))
        cache.store(args.spec, compiled)
    meta = compiled.meta
    X, T = training.read_csv(args.data, compiled) if args.data else training.spec_data(compiled)
    lr = args.lr if args.lr is not None else (meta.learning_rate if meta.learning_rate is not None else 0.1)
    hist = training.train(compiled, compiled.start(args.seed), X, T, steps=args.steps, lr=lr,
                          method=args.optimizer, batch=args.batch, seed=args.seed,
                          progress=False if args.json else None, log_every=args.log_every,
                          dtype=args.dtype, start_gradients=args.json)
    if args.plot:
        training.plot(hist.losses, args.plot, f"{meta.name}: {args.optimizer}, lr {lr:g}",
                      hist.loss_steps, hist.batch_losses)
    if args.json:
        json.dump({"loss": hist.losses, "loss_steps": hist.loss_steps, "batch_loss": hist.batch_losses,
                   "gradients": hist.start_gradients,
                   "params": compiled.unpack(hist.params)}, sys.stdout, indent=1)
        print()
        return 0
    labels = T.shape[1] > 0 and bool(np.isin(T, (0.0, 1.0)).all())   # a classification task
    acc = training.accuracy(compiled.forward(hist.params, X), T) if labels else None
    print(f"{meta.name}: {len(X)} example{'s' if len(X) != 1 else ''}, {args.optimizer}, lr {lr:g}, {args.steps} steps, "
          f"batch {args.batch or len(X)}, seed {args.seed}")
    print(f"loss {hist.losses[0]:.6g} -> {hist.losses[-1]:.6g} in {hist.seconds:.2f} s")
    if acc is not None:
        print(f"training accuracy {acc:.2%}")
    if args.test:
        Xt, Tt = training.read_csv(args.test, compiled)
        line = f"test loss {compiled.loss(hist.params, Xt, Tt):.6g} ({len(Xt)} examples)"
        if labels:
            line += f", test accuracy {training.accuracy(compiled.forward(hist.params, Xt), Tt):.2%}"
        print(line)
    if args.plot:
        print(f"loss curve: {args.plot}")
    return 0
