"""The 48 bits every invisible mark carries: a mark's id (32 bits) and a CRC-16 of it (16 bits).

The CRC tells a real mark from noise: a decoder that reads 48 bits out of an unmarked file, or out
of a copy damaged beyond repair, finds a checksum that does not match (1 chance in 65 536 that it
does by accident, and then the id must also be one that was issued) and reports no mark.
"""

import binascii
import re

ID_BITS = 32
CHECK_BITS = 16
BITS = ID_BITS + CHECK_BITS
# Not the CRC's usual start value, so that 48 zero bits (an all-flat image) are not a valid mark.
_CRC_START = 0x1D0F


def _check(mark_id: int) -> int:
    return binascii.crc_hqx(mark_id.to_bytes(4, "big"), _CRC_START)


def encode(mark_id: int) -> list[int]:
    """``mark_id`` and its checksum as 48 bits, most significant first."""
    if not 0 < mark_id < 2**ID_BITS:
        raise ValueError(f"A mark id must fit in {ID_BITS} bits; {mark_id} does not.")
    word = (mark_id << CHECK_BITS) | _check(mark_id)
    return [(word >> shift) & 1 for shift in range(BITS - 1, -1, -1)]


def decode(bits: list[int]) -> int | None:
    """The mark id ``bits`` carry, or None when they are not a valid mark."""
    if len(bits) != BITS:
        return None
    word = 0
    for bit in bits:
        word = (word << 1) | bit
    mark_id, check = word >> CHECK_BITS, word & (2**CHECK_BITS - 1)
    if mark_id == 0 or _check(mark_id) != check:
        return None
    return mark_id


_REFERENCE = re.compile(r"EMB-([0-9A-F]{8})-([0-9A-F]{4})")


def reference(mark_id: int) -> str:
    """The mark's visible reference, e.g. ``EMB-0000002A-3C1B``: its id and checksum in hex."""
    encode(mark_id)  # the same range check
    return f"EMB-{mark_id:08X}-{_check(mark_id):04X}"


def find_reference(text: str) -> int | None:
    """The mark id of the first valid reference in ``text``, or None."""
    for match in _REFERENCE.finditer(text):
        mark_id, check = int(match[1], 16), int(match[2], 16)
        if mark_id and _check(mark_id) == check:
            return mark_id
    return None
