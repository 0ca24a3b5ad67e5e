"""The whole suite grades into its own verdict store: a verdict one test keeps never answers another
test's question, and nothing is written to the user's cache (tests that test the default store set
XDG_CACHE_HOME themselves).  Commands run as they do with no warm checker (``derive warm``) running."""
import atexit
import os
import shutil
import tempfile

_CACHE = tempfile.mkdtemp(prefix="derive-test-cache-")
os.environ["XDG_CACHE_HOME"] = _CACHE
os.environ["DERIVE_WARM"] = "off"      # a user's running warm checker never takes a test's command (test_warm
                                       # starts its own servers, in its own folders, with this unset)
atexit.register(shutil.rmtree, _CACHE, True)
