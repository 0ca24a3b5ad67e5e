"""The whole suite grades into its own verdict store: a verdict one test keeps never answers another
test's question, and nothing is written to the user's cache (tests that test the default store set
XDG_CACHE_HOME themselves)."""
import atexit
import os
import shutil
import tempfile

_CACHE = tempfile.mkdtemp(prefix="derive-test-cache-")
os.environ["XDG_CACHE_HOME"] = _CACHE
atexit.register(shutil.rmtree, _CACHE, True)
