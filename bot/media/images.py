"""Image fingerprints: PDQ, the perceptual hash Meta and Meedan use to find copies of an image.

PDQ survives re-encoding, resizing and mild colour changes. It does not survive a frame added around
the picture (a screenshot's phone chrome, a letterbox, a caption bar), so near-uniform borders are
trimmed first.
"""

from __future__ import annotations

import io

import numpy as np

from bot.media.errors import MediaError

# Pillow refuses larger images as decompression bombs; a phone photo is about 12 megapixels.
MAX_PIXELS = 40_000_000
# PDQ reads a 64×64 summary of the image: 512 px on the long side loses nothing it uses.
WORK_SIZE = 512
# Below this PDQ quality (0–100) the image is too flat to fingerprint (a blank or one-colour picture).
MIN_QUALITY = 30
BORDER_TOLERANCE = 16  # grey levels: a JPEG's noise on a flat border stays under this
FLAT_SHARE = 0.97  # of a border row's pixels in the border's colour
CAPTION_SHARE = 0.5  # of a caption bar's rows: its letters are the rest
PICTURE_SHARE = 0.1  # the first row of the picture under a caption bar has next to none
MIN_CONTENT_SHARE = 0.35  # never trim away more than this share of a side
MIN_SIDE = 32  # pixels: PDQ summarises an image as 64×64; much smaller is noise
KNOWN_CROPS = (0.03, 0.06, 0.09)  # of each side
TRIM_PASSES = 3


def _pillow():  # noqa: ANN202 (the module, imported only when media is checked)
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    return Image


def open_rgb(data: bytes) -> np.ndarray:
    """Decode an image to RGB pixels, reduced to the working size; MediaError for anything else."""
    image_module = _pillow()
    try:
        with image_module.open(io.BytesIO(data)) as image:
            image.draft("RGB", (WORK_SIZE, WORK_SIZE))  # JPEG decodes at a fraction of full size
            if image.width * image.height > MAX_PIXELS:
                raise MediaError("too_large", "That image is too large to check.")
            frame = image.convert("RGB")  # an animated GIF: its first frame
            frame.thumbnail((WORK_SIZE, WORK_SIZE))
            return np.asarray(frame)
    except MediaError:
        raise
    except image_module.DecompressionBombError as error:
        raise MediaError("too_large", "That image is too large to check.") from error
    except (OSError, ValueError, SyntaxError) as error:  # Pillow's ways of saying "not an image I read"
        raise MediaError("corrupt", "I couldn't read that image: the file looks damaged.") from error


def _border_rows(grey: np.ndarray, limit: int) -> int:
    """How many leading rows are border.

    Either rows of one flat colour (a letterbox, a screenshot's frame), or a caption bar: a band whose
    rows are mostly its background colour, with letters on it, ending where the picture starts (a
    row with almost none of that colour).
    """
    reference = float(np.median(grey[0]))
    share = np.mean(np.abs(grey[:limit] - reference) <= BORDER_TOLERANCE, axis=1)
    flat = 0
    while flat < len(share) and share[flat] >= FLAT_SHARE:
        flat += 1
    band = flat
    while band < len(share) and share[band] >= CAPTION_SHARE:
        band += 1
    if band > flat and band < len(share) and share[band] <= PICTURE_SHARE:
        return band
    return flat


def trim_borders(pixels: np.ndarray) -> np.ndarray:
    """Cut bands of one colour off each side: a letterbox, a screenshot's frame, a caption bar's margin.

    A band counts as border while most of each row (or column) is its colour, so the text on a
    caption bar does not stop the cut; at least MIN_CONTENT_SHARE of each side is kept.
    """
    grey = pixels.astype(np.int16).mean(axis=2)
    height, width = grey.shape
    top = _border_rows(grey, int(height * (1 - MIN_CONTENT_SHARE)))
    bottom = height - _border_rows(grey[::-1], int(height * (1 - MIN_CONTENT_SHARE)) - top)
    middle = grey[top:bottom]
    left = _border_rows(middle.T, int(width * (1 - MIN_CONTENT_SHARE)))
    right = width - _border_rows(middle.T[::-1], int(width * (1 - MIN_CONTENT_SHARE)) - left)
    return pixels[top:bottom, left:right]


def _centre_crop(pixels: np.ndarray, share: float) -> np.ndarray:
    height, width = pixels.shape[:2]
    dy, dx = int(height * share), int(width * share)
    return pixels[dy : height - dy, dx : width - dx]


def pdq(pixels: np.ndarray) -> tuple[bytes, int]:
    """The 256-bit PDQ hash (32 bytes) of RGB pixels and its quality."""
    import pdqhash

    bits, quality = pdqhash.compute(np.ascontiguousarray(pixels))
    return np.packbits(bits.astype(np.uint8)).tobytes(), int(quality)


def image_hashes(data: bytes, *, known: bool = False) -> tuple[bytes, ...]:
    """PDQ hashes of an image as sent and without its borders.

    A known (fact-checked) image also stores hashes of centre crops, because PDQ does not survive a
    copy cropped by a few percent: the copy lands near one of them instead.
    """
    full = open_rgb(data)
    if min(full.shape[:2]) < MIN_SIDE:
        raise MediaError("too_small", "That image is too small to compare with known images.")
    variants = [full]
    for _ in range(TRIM_PASSES):  # a caption bar's cut uncovers the picture's own flat edge, and so on
        trimmed = trim_borders(variants[-1])
        if trimmed.shape == variants[-1].shape:
            break
        variants.append(trimmed)
    if known:
        variants += [_centre_crop(variant, share) for variant in variants[:2] for share in KNOWN_CROPS]
    hashes: list[bytes] = []
    for variant in variants:
        digest, quality = pdq(variant)
        if quality >= MIN_QUALITY and digest not in hashes:
            hashes.append(digest)
    if not hashes:
        raise MediaError("featureless", "That image is too plain to compare with known images.")
    return tuple(hashes)
