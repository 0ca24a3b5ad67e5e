"""The checking stage: what a student wrote, checked against the derivation.

Takes a ``Network``/``Derivation`` and student text (a formula, a whole derivation, a class CSV) and
gives ``Verdict``s with diagnoses in the student's own symbols and counterexamples, and grade reports.
Student text is read only by ``derive.model.formula``; checks run under time and memory limits.

May import every stage below it, and ``notes``/``codegen`` one way only (no loop between the three);
imported by ``api``, ``cli`` and ``serve``.
"""
