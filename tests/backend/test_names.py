"""The sanitiser: nothing from a model file reaches C unchanged unless it is a safe identifier."""
import re

import pytest

from edgec.backend.names import C_RESERVED, NameTable, c_comment, c_identifier

IDENT = re.compile(r"^[a-z][a-z0-9_]*$")


@pytest.mark.parametrize("raw", ["conv1/weight:0", "123abc", "int", "", "../../etc/passwd", "a b\nc",
                                 "*/ evil(); /*", "ünïcödé", "ec_conv2d_f32", "__x__", "while", "x" * 200])
def test_c_identifier_is_safe(raw):
    s = c_identifier(raw)
    assert IDENT.match(s), s
    assert s not in C_RESERVED
    assert not s.startswith("ec_")
    assert len(s) <= 48


def test_c_identifier_is_deterministic_and_readable():
    assert c_identifier("Conv_1/BiasAdd") == "conv_1_biasadd"
    assert c_identifier("Conv_1/BiasAdd") == c_identifier("Conv_1/BiasAdd")


def test_name_table_makes_names_unique():
    t = NameTable()
    assert [t.unique("a.b"), t.unique("a_b"), t.unique("a-b")] == ["a_b", "a_b_2", "a_b_3"]


def test_c_comment_cannot_close_the_comment():
    assert "*/" not in c_comment("x */ int evil; /* y")
    assert all(32 <= ord(c) < 127 for c in c_comment("tab\there\nnewline é"))
