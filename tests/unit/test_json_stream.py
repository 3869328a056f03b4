"""Documents written element by element are the text ``json.dumps(document, indent=1)`` gives whole."""

from __future__ import annotations

import io
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from patchcheck.report.json_stream import write_object

values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(
    members=st.dictionaries(st.text(max_size=4), values, max_size=3),
    elements=st.lists(values, max_size=4),
)
def test_streamed_document_is_the_dumped_document(members: dict[str, Any], elements: list[Any]) -> None:
    members.pop("statements", None)
    stream = io.StringIO()
    write_object(stream, members, {"statements": iter(elements)})
    assert stream.getvalue() == json.dumps({**members, "statements": elements}, indent=1)
