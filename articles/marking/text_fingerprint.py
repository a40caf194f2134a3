"""An invisible fingerprint in a page's words that survives copy-and-paste into plain text.

The scheme: the 48 payload bits (``payload``: the mark id and its CRC-16) are written as 48
zero-width characters, U+200C (zero-width non-joiner) for 0 and U+200D (zero-width joiner) for 1,
between two U+2060 (word joiner) delimiters. Browsers, word processors and plain-text editors keep
all three when text is copied, and none of them shows. The fingerprint is put in a space between
two words (never in the whitespace between two paragraphs), the first such space after every
``EVERY`` (80) visible characters of the text, or between two characters after ``LONGEST_GAP``
(160) without a space (Chinese, Japanese, a long URL), so any excerpt of ``MIN_EXCERPT``
characters (200) holds at least one whole fingerprint, however it is cut and whatever markup
separated its paragraphs.

Reading looks for every delimited run of exactly 48 bits, keeps those whose CRC holds, and takes
the most frequent id (a fingerprint broken by an edit fails its CRC and is simply ignored).
"""

import re
from collections import Counter

from articles.marking import payload

ZERO, ONE, DELIMITER = "\u200c", "\u200d", "\u2060"
INVISIBLE = ZERO + ONE + DELIMITER
MIN_EXCERPT = 200
# Half the shortest excerpt: any 200 visible characters span a whole gap between two insertions.
EVERY = MIN_EXCERPT // 2 - 20
# Where no space comes (text in a script without spaces), between two characters after this many.
LONGEST_GAP = 2 * EVERY
_RUN = re.compile(f"{DELIMITER}([{ZERO}{ONE}]{{{payload.BITS}}}){DELIMITER}")
# Tags (attribute values may hold ">" inside quotes), then text, in sanitised HTML.
_TOKEN = re.compile(r"""<(?:[^>"']|"[^"]*"|'[^']*')*>|[^<]+""")
_ENTITY = re.compile(r"&(?:#[0-9]+|#x[0-9a-fA-F]+|[a-zA-Z][a-zA-Z0-9]*);")


def fingerprint(mark_id: int) -> str:
    """The invisible characters that carry ``mark_id``."""
    return DELIMITER + "".join(ONE if bit else ZERO for bit in payload.encode(mark_id)) + DELIMITER


def visible_length(text: str) -> int:
    """How many characters of ``text`` a reader sees (the fingerprints' characters do not count)."""
    return len(text.translate({ord(ch): None for ch in INVISIBLE}))


def fingerprint_html(html: str, mark_id: int) -> str:
    """``html`` with ``mark_id``'s fingerprint in its text, every ``EVERY`` visible characters."""
    mark = fingerprint(mark_id)
    since_last = EVERY  # the first space of the text gets one too
    out = []
    for match in _TOKEN.finditer(html):
        token = match.group()
        if token.startswith("<"):
            out.append(token)
            continue
        pieces: list[str] = []
        for unit in _text_units(token):
            # Only after a word: in the whitespace between two block elements the invisible
            # characters would make a line box of their own, an empty line a reader would see.
            after_word = bool(pieces) and not pieces[-1].isspace()
            if unit == " " and after_word and since_last >= EVERY:
                pieces.append(" " + mark)
                since_last = 0
                continue
            if after_word and not unit.isspace() and since_last >= LONGEST_GAP:
                # Text without spaces (Chinese, Japanese, a long URL): between two characters.
                pieces.append(mark)
                since_last = 0
            pieces.append(unit)
            since_last += 1
        out.append("".join(pieces))
    return "".join(out)


def _text_units(text: str) -> list[str]:
    """``text`` as what a reader sees one character of: an entity counts as one."""
    units: list[str] = []
    position = 0
    for entity in _ENTITY.finditer(text):
        units.extend(text[position : entity.start()])
        units.append(entity.group())
        position = entity.end()
    units.extend(text[position:])
    return units


def find(text: str) -> int | None:
    """The mark id fingerprinted into ``text`` most often, or None when no fingerprint reads."""
    found = Counter(
        mark_id
        for run in _RUN.findall(text)
        if (mark_id := payload.decode([int(ch == ONE) for ch in run])) is not None
    )
    if not found:
        return None
    return found.most_common(1)[0][0]
