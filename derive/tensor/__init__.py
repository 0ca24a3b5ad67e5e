"""The tensor stage: vectorised backprop for tensor programs (the spec's third form).

Takes a ``tensor:`` spec (sizes, inputs, params, forward assignments in a NumPy-style grammar, a
scalar output) and gives: the program read by our own parser with every shape inferred
(``program``, ``grammar`` over the nodes of ``tree``, NumPy's and PyTorch's spellings read into
canonical calls by ``calls``, constant axes/widths/permutations by ``axes``, ``shapes``), the backward
pass derived tensor by tensor from one table of vector-Jacobian products (``vjp``, written with
``builder``; ``backward``; indexing's gradient as a one-hot product or a pad: ``indexing``), its proof
entry by entry (``proof``), and the evaluator the compiled code, the checker and the proof share
(``evaluate``, with the functions written once from primitives in ``composite``).

May import ``model``, ``derivation`` and the bottom modules (``errors``, ``safeio``); imported by
``frameworks``, ``notes``, ``codegen``, ``checking`` and the stages above them.
"""
