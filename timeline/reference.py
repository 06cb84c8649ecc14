"""The CLI reference (docs/cli.md), generated from the click commands.

`python -m timeline.reference > docs/cli.md` writes it; a test fails when the
file and the code disagree, so the reference cannot drift.
"""
import click

from .cli import cli


def _walk(command, path):
    yield path, command
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            yield from _walk(command.commands[name], [*path, name])


def reference():
    parts = ["# CLI reference\n", "Generated from the code by `python -m timeline.reference`; do not edit.\n"]
    for path, command in _walk(cli, ["timeline"]):
        with click.Context(command, info_name=" ".join(path), terminal_width=80, max_content_width=80) as ctx:
            help_text = command.get_help(ctx)
        title = " ".join(path)
        parts.append(f"## {title}\n\n```\n{help_text}\n```\n")
    return "\n".join(parts)


if __name__ == "__main__":
    print(reference(), end="")
