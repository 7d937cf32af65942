"""Explicit exceptions; messages are in Chinese because clerks read them."""

from __future__ import annotations

from kwstats.labels import EXPORT_LABELS


class KwstatsError(Exception):
    """Base class for every error kwstats raises on purpose."""

    @classmethod
    def from_message(cls, message: str) -> KwstatsError:
        """The error rebuilt from its message alone (as a kernel reports it): see kwstats.kernel."""
        return cls(message)


def error_class(name: str) -> type[KwstatsError] | None:
    """The kwstats exception class called `name` (any module's, once imported), or None."""
    todo: list[type[KwstatsError]] = [KwstatsError]
    while todo:
        cls = todo.pop()
        if cls.__name__ == name:
            return cls
        todo.extend(cls.__subclasses__())
    return None


class ParamsError(KwstatsError):
    """A params YAML file is missing, unreadable or invalid."""


class StaleProseError(ParamsError):
    """The month's typical case is an earlier month's: the official bulletin would repeat it."""


class InputFileError(KwstatsError):
    """An export file cannot be read at all (it names itself)."""


class MissingColumnError(InputFileError):
    """A required column is not in an export: names the column, the aliases tried and the headers found."""

    def __init__(self, path: str, field: str, aliases: list[str], headers: list[str]) -> None:
        self.path, self.field, self.aliases, self.headers = path, field, aliases, headers
        label = EXPORT_LABELS.get(field, field)
        super().__init__(
            f"{path}：缺少必需列“{label}”。尝试过的表头：{'、'.join(aliases)}；"
            f"文件中的表头：{'、'.join(str(h) for h in headers)}。"
            f"如表头是新写法，请加到 params/branch.yaml 的 headers.{field} 中。"
        )

    @classmethod
    def from_message(cls, message: str) -> MissingColumnError:
        """Rebuilt from the message alone: the column, aliases and headers are in its text only."""
        error = cls("", "", [], [])
        error.args = (message,)
        return error


class CalendarCoverageError(KwstatsError):
    """The working-day calendar does not cover a year and params do not supply it."""


class NotebookExecutionError(KwstatsError):
    """The bulletin notebook failed in a cell; names the cell and where the executed notebook is kept."""


class EmptyMonthError(KwstatsError):
    """An official bulletin was asked for a month without a single complaint or report."""


class UsageError(KwstatsError):
    """The command was given wrongly (a missing or conflicting option): the CLI exits 2."""


class OutputPathError(UsageError):
    """An output folder (``--out``) is a file, lies under a file, or cannot be written: a usage error."""


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP ended the run: it is cleaned up like a Ctrl-C (kernel shut down, scratch folder
    removed, the previous bulletin intact) and the CLI exits 128 + the signal's number (143, 129)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class MonthLockedError(KwstatsError):
    """Another run is building the same month's bulletin into the same folder (``--no-wait``)."""
