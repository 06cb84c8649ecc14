"""timeline: an event-sourced database of dated corporate facts, each cited to its source.

    from timeline import Timeline, TimelineError
    tl = Timeline.open("timeline.db")

The API lives in timeline.api (see docs/api.md); it is imported on first use,
so `timeline --help` does not pay for SQLAlchemy.
"""
__version__ = "0.1.0"
__all__ = ["Timeline", "TimelineError", "__version__"]


def __getattr__(name):
    if name == "Timeline":
        from .api import Timeline
        return Timeline
    if name == "TimelineError":
        from .errors import TimelineError
        return TimelineError
    raise AttributeError(f"module 'timeline' has no attribute {name!r}")
