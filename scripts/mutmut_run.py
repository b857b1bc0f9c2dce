"""``mutmut`` as scripts/mutants.py runs it: the same command line, less one redundant pass.

mutmut 3 runs a group's tests twice before its first mutant: once to learn which tests reach
which function (the stats pass, which stops with an error unless every test passes), then once
more as a "clean run" to check that they pass unmutated. When the stats pass has just run every
test of the group in this process and they passed, the clean run can only pass too; it is about
a tenth of a group's time, so it is skipped then. When the stats come from an earlier run
(``--keep``), or only new tests' stats were collected, the clean run happens as usual.

    python scripts/mutmut_run.py run --max-children 2     # in a group's directory
"""

import mutmut.__main__ as mutmut_main
from mutmut.workers.isolation import ForkRunner

_passed_every_test = False
_collect_stats = mutmut_main.run_stats_collection
_clean_tests = ForkRunner.run_clean_tests


def run_stats_collection(runner, tests=None):
    global _passed_every_test
    _collect_stats(runner, tests)  # exits the process unless every test passed
    _passed_every_test = not tests  # no names: the whole selection ran


def run_clean_tests(self, tests):
    if _passed_every_test:
        print("    clean run skipped: the stats pass ran every test and they passed", flush=True)
        return 0
    return _clean_tests(self, tests)


mutmut_main.run_stats_collection = run_stats_collection
ForkRunner.run_clean_tests = run_clean_tests

if __name__ == "__main__":
    mutmut_main.cli()
