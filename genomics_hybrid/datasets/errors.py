"""One exception type for bad input, so callers can catch data problems apart from bugs."""


class DataError(ValueError):
    """Input data that cannot be used as given. The message names the problem and the fix."""


class DataNotFoundError(DataError, FileNotFoundError):
    """A real data file is missing; the message says which file to place where."""
