"""The serve stage: ``derive serve``, a local web page and a JSON API over the library.

Takes HTTP requests (a spec by name or text, an answer, a derivation, a class CSV) and gives JSON (the
same objects as ``derive verify/check/grade --json``) or a page.  Handlers only translate: every
request runs the use case of ``derive.api`` the CLI runs, inside ``sandbox.call`` with time and memory limits.

May import every stage below it (never ``cli``); imported by ``cli.serve`` (``derive serve``) alone.
"""
