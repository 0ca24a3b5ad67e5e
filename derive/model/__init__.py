"""The model stage: what a network is.

Takes a spec (YAML/JSON text, a bundled example's name, or layer sizes) and gives a validated ``Spec``
and a ``Network``: named nodes with their expressions and local derivatives from the one rules table,
symbols named and printed per notation preset.  Also the project's own formula parser (``formula``),
the only way text becomes maths.

May import only the bottom modules (``errors``, ``safeio``, ``jupyter``); imported by every stage above it
(derivation, tensor, frameworks, notes, codegen, checking, api, cli, serve).
"""
