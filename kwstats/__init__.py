"""kwstats: the monthly 12315 complaints-and-reports bulletin, computed from case rows."""

__version__ = "0.1.0"
