"""Plate text patterns: ``晋M*12*`` wildcards, partial plates, one-character-off matches.

A pattern is a sequence of plate characters (a province character, A-Z, 0-9) and wildcards:
``*`` any run of characters (also none), ``?`` exactly one character. Letters are upper-cased.
An exact match scores 1.0; with ``max_edits=1`` a plate that matches after changing ONE fixed
character of the pattern (a misread) scores 0.5 and is ranked below every exact match; this
applies to patterns with at least 3 fixed characters (``京*`` one off would match every plate).

Partial plates: a half-covered plate is stored with what could be read and a ``*`` for the hidden
part (``粤B6R*`` = the plate starts so, ``*6R678`` = it ends so; :mod:`vision.plates`). A pattern
matches such a partial plate when at least 2 of its fixed characters face read characters and all
of those agree (``?`` agrees with anything); it scores 0.4, below every exact and one-off match.

For the database the pattern becomes SQL ``LIKE`` patterns (parameters, never spliced into SQL):
the exact one plus, for one-off matching, one per fixed character with that character replaced by
``_``. ``LIKE`` is a coarse pre-filter; :meth:`PlatePattern.score` decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from xueliang.errors import InputError

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领警学港澳挂"
_ALLOWED = re.compile(rf"^[{PROVINCES}A-Z0-9*?]+$")
MAX_FIXED = 10
MIN_FIXED_FOR_EDITS = 3
EXACT_SCORE = 1.0
ONE_OFF_SCORE = 0.5
PARTIAL_SCORE = 0.4
#: LIKE pattern of every stored partial plate
PARTIAL_LIKE = "%*%"
MIN_PARTIAL_OVERLAP = 2


@dataclass(frozen=True)
class PlatePattern:
    """A validated plate pattern; build with :func:`parse_plate_pattern`."""

    text: str
    max_edits: int = 1

    @property
    def tokens(self) -> tuple[str, ...]:
        return tuple(self.text)

    @property
    def fixed_positions(self) -> tuple[int, ...]:
        return tuple(i for i, c in enumerate(self.text) if c not in "*?")

    @property
    def prefix(self) -> str:
        """The fixed characters before the first wildcard ('' when the pattern starts with one)."""
        out = []
        for c in self.text:
            if c in "*?":
                break
            out.append(c)
        return "".join(out)

    def prefix_range(self) -> tuple[str, str] | None:
        """``lo <= plate < hi`` for every exact match (a B-tree range), or None without a prefix."""
        p = self.prefix
        if not p:
            return None
        return p, p[:-1] + chr(ord(p[-1]) + 1)

    @staticmethod
    def _regex(tokens: tuple[str, ...]) -> re.Pattern[str]:
        body = "".join(".*" if t == "*" else "." if t == "?" else re.escape(t) for t in tokens)
        return re.compile(rf"^{body}$")

    @cached_property
    def _exact(self) -> re.Pattern[str]:
        """The exact match, compiled once per pattern (``watch check_new`` scores every new pass)."""
        return self._regex(self.tokens)

    @cached_property
    def _one_off(self) -> re.Pattern[str] | None:
        """One regex for every one-character-off variant (each fixed character in turn made ``?``),
        compiled once; None when the pattern allows no edits."""
        if self.max_edits < 1:
            return None
        toks = self.tokens
        bodies = [self._regex((*toks[:i], "?", *toks[i + 1 :])).pattern for i in self.fixed_positions]
        return re.compile("|".join(f"(?:{b})" for b in bodies))

    def matches_partial(self, stored: str) -> bool:
        """Whether a stored partial plate (``粤B6R*`` or ``*6R678``) can be this pattern's plate."""
        if stored.endswith("*") and not stored.startswith("*"):
            known, q = stored[:-1], self.text.split("*")[0]
        elif stored.startswith("*") and not stored.endswith("*"):
            known, q = stored[1:][::-1], self.text.split("*")[-1][::-1]
        else:
            return False
        if "*" not in self.text and len(self.text) < len(known):
            return False
        pairs = list(zip(q, known, strict=False))
        compared = [(a, b) for a, b in pairs if a != "?"]
        return len(compared) >= MIN_PARTIAL_OVERLAP and all(a == b for a, b in compared)

    def score(self, plate: str | None) -> float:
        """1.0 exact, 0.5 one character off (when allowed), 0.4 a partial plate that agrees, else 0."""
        if not plate:
            return 0.0
        plate = plate.upper()
        if "*" in plate:
            return PARTIAL_SCORE if self.matches_partial(plate) else 0.0
        if self._exact.match(plate):
            return EXACT_SCORE
        if self._one_off is not None and self._one_off.match(plate):
            return ONE_OFF_SCORE
        return 0.0

    def like_patterns(self) -> list[str]:
        """SQL LIKE patterns (no escape needed: plate characters never include % or _), with one
        for every stored partial plate (:meth:`score` then decides)."""

        def to_like(tokens: tuple[str, ...]) -> str:
            return "".join("%" if t == "*" else "_" if t == "?" else t for t in tokens)

        toks = self.tokens
        out = [to_like(toks), PARTIAL_LIKE]
        if self.max_edits >= 1:
            out += [to_like((*toks[:i], "?", *toks[i + 1 :])) for i in self.fixed_positions]
        return sorted(set(out))


def parse_plate_pattern(value: str, *, max_edits: int = 1, source: str = "--plate") -> PlatePattern:
    """Validate a pattern; the message names the offending character and what is allowed."""
    text = value.strip().upper().replace("＊", "*").replace("？", "?")
    if not text:
        raise InputError(source, "expected a plate pattern like 晋M*12* or 晋M?2345, got an empty string")
    if not _ALLOWED.match(text):
        bad = next(c for c in text if not _ALLOWED.match(c))
        raise InputError(
            source,
            f"expected plate characters (province character, A-Z, 0-9) and wildcards * or ?, got {bad!r} in {value!r}",
        )
    text = re.sub(r"\*+", "*", text)
    fixed = sum(c not in "*?" for c in text)
    if fixed == 0:
        raise InputError(source, f"expected at least one plate character besides wildcards, got {value!r}")
    if fixed > MAX_FIXED:
        raise InputError(source, f"expected at most {MAX_FIXED} plate characters, got {fixed} in {value!r}")
    if max_edits not in (0, 1):
        raise InputError(source, f"expected 0 or 1 character edits, got {max_edits}")
    if fixed < MIN_FIXED_FOR_EDITS:  # '京*' one off would be every plate
        max_edits = 0
    return PlatePattern(text=text, max_edits=max_edits)
