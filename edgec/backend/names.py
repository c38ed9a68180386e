"""The one sanitiser: every C identifier edgec emits that derives from a model name comes from here."""
from __future__ import annotations

import re

C_RESERVED = frozenset("""
auto break case char const continue default do double else enum extern float for goto if inline int long
register restrict return short signed sizeof static struct switch typedef union unsigned void volatile
while _Bool _Complex _Imaginary _Alignas _Alignof _Atomic _Generic _Noreturn _Static_assert
_Thread_local bool true false NULL main asm typeof
""".split())


def c_identifier(raw: str, fallback: str = "model") -> str:
    """Lowercase [a-z0-9_] identifier starting with a letter, never a C keyword.

    Anything outside [A-Za-z0-9_] becomes '_', runs of '_' collapse, and a leading digit or
    reserved word gets a prefix. Deterministic, so the same model gives the same names.
    """
    s = re.sub(r"[^A-Za-z0-9_]", "_", raw).lower()
    s = re.sub(r"_+", "_", s).strip("_")
    if not s:
        s = fallback
    if s[0].isdigit():
        s = f"{fallback}_{s}"
    if s in C_RESERVED or s.startswith("ec_"):
        s = f"{fallback}_{s}"
    return s[:48].rstrip("_") or fallback


def c_comment(raw: str) -> str:
    """Text safe inside a /* */ comment: printable ASCII, no comment terminators."""
    s = "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in raw)
    return s.replace("*/", "* /").replace("/*", "/ *")[:80]


class NameTable:
    """Gives each requested base name a unique identifier within one emitted model."""

    def __init__(self) -> None:
        self._used: set[str] = set()

    def unique(self, raw: str, fallback: str = "t") -> str:
        base = c_identifier(raw, fallback)
        name, k = base, 1
        while name in self._used:
            k += 1
            name = f"{base}_{k}"
        self._used.add(name)
        return name
