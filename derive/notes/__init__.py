"""The notes stage: lecture notes from a derivation.

Takes a ``Derivation`` and gives ``Notes`` (equations as data, every one checked) rendered to Markdown,
LaTeX and HTML in en/ko/ja with diagrams; prose per language sits in ``prose``, layout in ``templates/``.
"""
