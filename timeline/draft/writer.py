"""Draft bundles as YAML a curator reads and edits: block style, unicode kept,
quotes, summaries and review notes as double-quoted scalars, quantities on one
line like the curated bundles (`value: {amount: 155600000, unit: USD}`)."""
import yaml

HEADER = """\
# DRAFT written by `timeline draft` from {document}.
# Review every event against the document: fix or delete it, then remove its
# `review:` note; when done, remove `status: draft` from the source.
# `timeline import` refuses this file while any of those marks remain.
"""
DOUBLE_QUOTED = ("quote", "summary", "review", "date_note", "title", "note", "target_text")


class _Quoted(str):
    """A string written as a double-quoted scalar."""


class _Flow(dict):
    """A mapping written on one line."""


class _Dumper(yaml.SafeDumper):
    """SafeDumper: lists start at their key's indentation (`events:` / `- id: …`), as in events/."""


_Dumper.add_representer(_Quoted, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style='"'))
_Dumper.add_representer(_Flow, lambda dumper, value: dumper.represent_mapping("tag:yaml.org,2002:map", value.items(),
                                                                              flow_style=True))


def _styled(value, key=None):
    if isinstance(value, dict):
        if set(value) <= {"amount", "unit", "qualifier"} and "amount" in value:
            return _Flow(value)
        return {k: _styled(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_styled(v) for v in value]
    if isinstance(value, str) and key in DOUBLE_QUOTED:
        return _Quoted(value)
    return value


def to_yaml(bundle, document="a document"):
    """The bundle mapping ({source, events}) as draft YAML text."""
    body = yaml.dump(_styled(bundle), Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                     default_flow_style=False, width=10_000)
    return HEADER.format(document=document) + body
