"""The strict YAML reader: what PyYAML accepts it reads the same, except a key written twice."""

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from hwgen.errors import ConfigError
from hwgen.yamlio import parse_yaml, read_yaml

keys = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8).filter(
    lambda k: yaml.safe_load(f"{k}: 1") == {k: 1})  # not null / true / on ..., which YAML reads as other keys
scalars = st.one_of(st.integers(-10**6, 10**6), st.booleans(), st.none(), keys,
                    st.floats(allow_nan=False, allow_infinity=False, width=32))
documents = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                          st.dictionaries(keys, inner, max_size=4)), max_leaves=12)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(keys, documents, min_size=1, max_size=6))
def test_reads_what_safe_load_reads(doc):
    text = yaml.safe_dump(doc, sort_keys=False)
    assert parse_yaml(text) == yaml.safe_load(text)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(keys, scalars, min_size=1, max_size=6), st.data())
def test_a_key_written_twice_is_refused_at_its_line(doc, data):
    lines = yaml.safe_dump(doc, sort_keys=False).splitlines()
    key = data.draw(st.sampled_from(list(doc)))
    first = next(i for i, line in enumerate(lines) if line.startswith(f"{key}:")) + 1
    text = "\n".join(lines + [f"{key}: 1"]) + "\n"
    with pytest.raises(ConfigError, match=rf"line {len(lines) + 1}, column 1: key '{key}' is written twice "
                                          rf"\(first on line {first}\)"):
        parse_yaml(text)


def test_syntax_errors_and_encodings_name_the_spot(tmp_path):
    with pytest.raises(ConfigError, match=r"not valid YAML: line 2, column 1"):
        parse_yaml("a: [1,\n")
    path = tmp_path / "d.yaml"
    path.write_bytes(b"kind: lut\nweights: caf\xe9\n")
    with pytest.raises(ConfigError, match=r"d.yaml: not a UTF-8 text file \(byte 0xe9 on line 2\)"):
        read_yaml(path, "design file")
    with pytest.raises(ConfigError, match="design file .* is a directory, not a file"):
        read_yaml(tmp_path, "design file")
