"""Text in an image (a screenshot of a post, a caption burnt into a meme), read by Tesseract.

Optional: without the `tesseract` program the bot says it cannot read text in images and matches the
picture and the caption alone.
"""

from __future__ import annotations

import io
import shutil

OCR_SECONDS = 10  # Tesseract on a 2-megapixel screenshot takes about a second
LANGUAGES = "eng"  # Debian's tesseract-ocr ships English; other traineddata packages add more


def ocr_available() -> bool:
    from importlib.util import find_spec

    return shutil.which("tesseract") is not None and find_spec("pytesseract") is not None


def image_text(data: bytes) -> str:
    """The words Tesseract reads in an image, joined by spaces; '' when it is unavailable or fails."""
    if not ocr_available():
        return ""
    import pytesseract
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            grey = image.convert("L")
            if max(grey.size) > 2000:
                grey.thumbnail((2000, 2000))
            text = pytesseract.image_to_string(grey, lang=LANGUAGES, timeout=OCR_SECONDS)
    except (RuntimeError, OSError, ValueError, pytesseract.TesseractError):
        return ""  # a timeout or an unreadable image: the caption alone is matched
    return " ".join(text.split())
