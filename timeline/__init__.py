"""timeline: an event-sourced database of dated corporate facts, each cited to its source."""
__version__ = "0.1.0"
