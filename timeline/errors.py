"""The one exception a user ever sees: a mistake in their input, said in one line.

Everything the CLI catches is a TimelineError; anything else is a bug and keeps
its traceback.  `where` names the place (a file, an event) so the message reads
"events/x.yml: event 3 (ecarx/…): unknown kind 'lanch' — did you mean 'launch'?".
"""
import difflib


class TimelineError(Exception):
    def __init__(self, message, where=None):
        super().__init__(message)
        self.message = message
        self.where = where

    def at(self, where):
        """The same error, located inside `where` (outermost first)."""
        if not where:
            return self
        located = f"{where}: {self.where}" if self.where else where
        return TimelineError(self.message, located)

    def __str__(self):
        return f"{self.where}: {self.message}" if self.where else self.message


def did_you_mean(word, choices):
    """' — did you mean 'x'?' when a choice is close to `word`, else ''."""
    close = difflib.get_close_matches(str(word), list(choices), n=3, cutoff=0.6)
    if not close:
        return ""
    return " — did you mean " + " or ".join(f"'{c}'" for c in close) + "?"


def first_line(error):
    """The first line of a database error's message (the driver's own, when wrapped)."""
    return str(getattr(error, "orig", error)).splitlines()[0]
