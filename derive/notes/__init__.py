"""The notes stage: lecture notes from a derivation.

Takes a ``Derivation`` and gives ``Notes`` (equations as data, every one checked) rendered to Markdown,
LaTeX and HTML in en/ko/ja with diagrams; prose per language sits in ``prose``, layout in ``templates/``.
Also the drawers of Jupyter display, registered in ``derive.jupyter`` (so lower stages never import notes).

May import every stage below it, and ``codegen``/``checking`` one way only (no loop between the three);
imported by ``api``, ``cli`` and ``serve``.
"""
