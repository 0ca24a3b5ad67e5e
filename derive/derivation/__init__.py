"""The derivation stage: every gradient two ways, proven equal.

Takes a ``Network`` (model stage) and gives a ``Derivation``: the chain rule (paths, Leibniz factors,
memoised deltas) built only from the rules table, the direct derivative of the substituted loss, and a
``Proof`` per parameter that the two are equal.

May import ``model`` and the bottom modules (``errors``, ``sandbox``, ``jupyter``); imported by every stage
above it (tensor, frameworks, notes, codegen, checking, api).
"""
