"""How long a test waits for something the code under test must do (another program's lock taken, a retry
written down): a deadline for a broken build to fail on, never a timing assertion.

Why a setting: the default is generous (a minute: a loaded machine must never fail a correct build), but a
mutant that never releases a lock or never retries then costs a minute each, and mutation testing
(bench/mutation.py) runs hundreds of them. It sets GAFFE_TEST_PATIENCE lower, so such a mutant fails in
seconds; a correct build waits milliseconds either way, so the tests assert the same behaviour."""

from __future__ import annotations

import os

PATIENCE_SECONDS = float(os.environ.get("GAFFE_TEST_PATIENCE") or 60)
