"""An invisible watermark in an image's brightness that survives re-encoding as JPEG at quality 75.

The scheme (quantisation index modulation in the 8x8 block DCT, the grid JPEG itself uses):

- The image's luma (Y of YCbCr, as JPEG computes it) is cut into 8x8 blocks aligned with the top
  left corner; each block's orthonormal DCT has five mid-frequency coefficients that carry bits
  ((1,2), (2,1), (2,2), (1,3), (3,1)): low enough to survive JPEG's quantisation, high enough
  not to show as blotches.
- Every (block, coefficient) slot carries one of the 48 payload bits (``payload``): the slots are
  dealt to the bits by a fixed pseudo-random permutation, so each bit is spread over the whole
  image and a damaged region costs every bit a little rather than some bits everything.
- A slot carries a bit by moving its coefficient to the nearest point of one of two interleaved
  lattices, step ``STEP`` apart, shifted by a per-slot pseudo-random dither: bit 0 on
  ``dither + k·STEP``, bit 1 on ``dither + (k + ½)·STEP``. JPEG at quality 75 moves these
  coefficients by at most about 4.3, under the quarter step (5) a slot tolerates.
- Reading sums, per bit, ``cos(2π·(c - dither)/STEP)`` over its slots (+1 on the bit-0 lattice,
  -1 on the bit-1 one): a soft majority vote, so slots spoilt by clipping or editing are outvoted.
  The 48 bits are then checked by their CRC; an unmarked image reads as noise and fails it.
- Before embedding, the colours are compressed into [``MARGIN``, 255 - ``MARGIN``] so the
  changes (about ±2 levels, at most ±12) are not clipped away on white or saturated areas.

An image needs ``MIN_SLOTS_PER_BIT`` slots per bit (about 160x160 pixels) for the mark to be
readable; smaller images still get the visible stamp. Cropping or resizing moves the 8x8 grid
and loses the mark; only the visible stamp survives those.
"""

import numpy as np
from PIL import Image

from articles.marking import payload

STEP = 20.0
MARGIN = 6
COEFFICIENTS = ((1, 2), (2, 1), (2, 2), (1, 3), (3, 1))
MIN_SLOTS_PER_BIT = 12
# Fixed, so that a copy marked years ago still reads: the scheme hides the mark, not a secret.
_SEED = 0x45_4D_42_41  # "EMBA"


def _dct_matrix() -> np.ndarray:
    n = np.arange(8)
    matrix = np.cos(np.pi * (2 * n[None, :] + 1) * n[:, None] / 16) * np.sqrt(2 / 8)
    matrix[0] /= np.sqrt(2)
    return matrix


_DCT = _dct_matrix()


def _blocks(luma: np.ndarray) -> tuple[np.ndarray, int, int]:
    rows, cols = luma.shape[0] // 8, luma.shape[1] // 8
    cropped = luma[: rows * 8, : cols * 8]
    blocks = cropped.reshape(rows, 8, cols, 8).swapaxes(1, 2).reshape(-1, 8, 8)
    return blocks, rows, cols


def _slots(block_count: int) -> tuple[np.ndarray, np.ndarray]:
    """For each (block, coefficient) slot: the payload bit it carries and its dither."""
    slot_count = block_count * len(COEFFICIENTS)
    rng = np.random.default_rng(_SEED)
    bit_of_slot = rng.permutation(slot_count) % payload.BITS
    dither = rng.uniform(0, STEP, slot_count)
    return bit_of_slot.reshape(block_count, -1), dither.reshape(block_count, -1)


def capacity_ok(size: tuple[int, int]) -> bool:
    """Does an image of ``size`` (width, height) have room for a readable mark?"""
    blocks = (size[0] // 8) * (size[1] // 8)
    return blocks * len(COEFFICIENTS) >= MIN_SLOTS_PER_BIT * payload.BITS


def _luma(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGB").convert("YCbCr"), dtype=np.float64)


def embed(image: Image.Image, mark_id: int) -> Image.Image:
    """A copy of ``image`` (RGB or RGBA) carrying ``mark_id`` invisibly; alpha is kept as is."""
    alpha = image.getchannel("A") if image.mode == "RGBA" else None
    rgb = np.asarray(image.convert("RGB"), dtype=np.float64)
    rgb = MARGIN + rgb * (255 - 2 * MARGIN) / 255
    ycc = np.asarray(
        Image.fromarray(np.round(rgb).astype(np.uint8), "RGB").convert("YCbCr"), dtype=np.float64
    ).copy()
    if capacity_ok(image.size):
        ycc[..., 0] = _embed_luma(ycc[..., 0], payload.encode(mark_id))
    marked = Image.fromarray(np.clip(np.round(ycc), 0, 255).astype(np.uint8), "YCbCr")
    marked = marked.convert("RGB")
    if alpha is not None:
        marked.putalpha(alpha)
    return marked


def _embed_luma(luma: np.ndarray, bits: list[int]) -> np.ndarray:
    blocks, rows, cols = _blocks(luma)
    coefficients = _DCT @ blocks @ _DCT.T
    bit_of_slot, dither = _slots(len(blocks))
    wanted = np.asarray(bits, dtype=np.float64)[bit_of_slot] * STEP / 2 + dither
    for index, (u, v) in enumerate(COEFFICIENTS):
        value = coefficients[:, u, v]
        offset = wanted[:, index]
        coefficients[:, u, v] = np.round((value - offset) / STEP) * STEP + offset
    marked_blocks = _DCT.T @ coefficients @ _DCT
    out = luma.copy()
    out[: rows * 8, : cols * 8] = (
        marked_blocks.reshape(rows, cols, 8, 8).swapaxes(1, 2).reshape(rows * 8, cols * 8)
    )
    return out


def extract(image: Image.Image) -> int | None:
    """The mark id ``image`` carries, or None when it carries none that reads."""
    if not capacity_ok(image.size):
        return None
    luma = _luma(image)[..., 0]
    blocks, _, _ = _blocks(luma)
    coefficients = _DCT @ blocks @ _DCT.T
    bit_of_slot, dither = _slots(len(blocks))
    votes = np.zeros(payload.BITS)
    for index, (u, v) in enumerate(COEFFICIENTS):
        phase = 2 * np.pi * (coefficients[:, u, v] - dither[:, index]) / STEP
        np.add.at(votes, bit_of_slot[:, index], np.cos(phase))
    return payload.decode([int(vote < 0) for vote in votes])
