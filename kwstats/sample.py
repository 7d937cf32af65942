"""The synthetic sample, under its historical name: the generator is the :mod:`kwstats.demo` package.

``from kwstats.sample import …`` keeps working for every public name (tests, the CLI's
``kwstats sample``, benchmarks): the names and their list are the package's own.
"""

from kwstats.demo import *  # noqa: F403
from kwstats.demo import __all__  # noqa: F401
