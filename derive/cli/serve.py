"""``derive serve``: a local web page for students and lecturers, and a JSON API (see derive.serve)."""
from __future__ import annotations

import json
import sys

from ..errors import DeriveError


def add_parser(sub):
    p = sub.add_parser("serve", help="a local web page: check answers and derivations, read notes, grade a class")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0: any free port)")
    p.add_argument("--open", action="store_true", help="open the page in a web browser")
    p.add_argument("--timeout", type=float, default=5.0, help="hard time limit per check in seconds (default 5)")
    p.add_argument("--work-timeout", type=float, default=120.0,
                   help="hard time limit for verify, notes, a derivation or a grading run, in seconds (default 120)")
    p.add_argument("--max-memory", type=int, default=None, metavar="MB",
                   help="memory one request's work may use (default 1024 MB, or DERIVE_SERVE_MAX_MEMORY)")
    p.add_argument("--json", action="store_true", help='print {"url": ...} as one JSON line once serving')
    return p


def run(args) -> int:
    import socket

    import uvicorn

    from ..serve.app import create_app
    from ..serve.http import Settings, is_loopback
    if args.timeout <= 0 or args.work_timeout <= 0 or not 0 <= args.port <= 65535:
        raise DeriveError("--timeout and --work-timeout must be positive and --port in 0..65535")
    if args.max_memory is not None and not 64 <= args.max_memory <= 65536:
        raise DeriveError("--max-memory must be from 64 to 65536 (MB)")
    if not is_loopback(args.host):
        print(f"derive: warning: serving on {args.host}: anyone who can reach this machine can use "
              "the page and the API", file=sys.stderr)
    try:
        sock = socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((args.host, args.port))
    except OSError as e:
        import errno
        busy = "; choose another with --port N (--port 0: any free port)" if e.errno == errno.EADDRINUSE else ""
        raise DeriveError(f"cannot listen on {args.host}:{args.port}: {e.strerror or e}{busy}") from None
    host, port = sock.getsockname()[:2]
    url = f"http://{'[%s]' % host if ':' in host else host}:{port}/"
    settings = Settings(timeout=args.timeout, work_timeout=args.work_timeout)
    if args.max_memory is not None:
        settings.memory_mb = args.max_memory
    app = create_app(settings, args.host)
    class Server(uvicorn.Server):
        async def startup(self, sockets=None):     # announce the address once the app is ready
            await super().startup(sockets)
            print(json.dumps({"url": url}) if args.json else f"derive serve: {url} (Ctrl-C stops it)", flush=True)
            if args.open:
                import webbrowser
                webbrowser.open(url)
    from ..serve.slow import protocol       # header and body read deadlines (slow clients cut off)
    server = Server(uvicorn.Config(app, log_level="warning", access_log=False, http=protocol(settings)))
    server.run(sockets=[sock])
    return 0
