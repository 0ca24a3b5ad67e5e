"""The codegen stage: proven gradients as NumPy code.

Takes a ``Network`` (and its chain-rule derivation) and gives readable generated source, a compiled
module (``compile``), training loops (``train``) and a standalone exported module (``export``).
Spec text never becomes code here: identifiers come from validated names only.

May import every stage below it, and ``notes``/``checking`` one way only (no loop between the three);
imported by ``api``, ``cli`` and ``serve``.
"""
