"""The test suite. Importing it first (pytest imports ``tests.conftest``) sets the process's zone.

"Today" in the tests (``date.today()`` in fixtures, module constants and expected values) is the
trainings' today, as the app's ``local_today()`` is (Europe/Kyiv, ``BABEL_DEFAULT_TIMEZONE``):
between 22:00 and 24:00 UTC Kyiv is already on the next day, and a test built on a UTC server's
date would expect yesterday's figures. Workers and servers the tests start inherit the zone.
"""

import os
import time

os.environ["TZ"] = "Europe/Kyiv"
time.tzset()
