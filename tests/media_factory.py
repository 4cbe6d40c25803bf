"""Images and short videos made on the spot, and the ways people's copies of them differ.

Shared by the media tests and benchmarks/media.py: each picture is drawn from a seed (shapes on a
gradient, like a photo's broad structure), so the sets are the same on every machine and nothing is
downloaded or committed.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageFont

SIZE = (640, 480)


def scene(seed: int, size: tuple[int, int] = SIZE) -> Image.Image:
    rng = random.Random(seed)
    width, height = size
    top = np.array([rng.randrange(256) for _ in range(3)], dtype=np.float32)
    bottom = np.array([rng.randrange(256) for _ in range(3)], dtype=np.float32)
    ramp = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
    pixels = (top * (1 - ramp) + bottom * ramp).repeat(width, axis=1)
    image = Image.fromarray(pixels.astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randrange(6, 14)):
        x0, y0 = rng.randrange(width), rng.randrange(height)
        x1, y1 = x0 + rng.randrange(40, width // 2), y0 + rng.randrange(40, height // 2)
        colour = tuple(rng.randrange(256) for _ in range(3))
        shape = rng.choice((draw.ellipse, draw.rectangle))
        shape((x0, y0, x1, y1), fill=colour)
    for _ in range(rng.randrange(3, 8)):
        points = [(rng.randrange(width), rng.randrange(height)) for _ in range(2)]
        draw.line(points, fill=tuple(rng.randrange(256) for _ in range(3)), width=rng.randrange(3, 12))
    # A photo's light and texture: a smooth random field over everything, then sensor noise.
    noise = np.random.default_rng(seed)
    field = Image.fromarray(noise.integers(0, 256, (6, 8, 3), dtype=np.uint8), "RGB").resize(
        size, Image.BICUBIC
    )
    pixels = np.asarray(image, dtype=np.float32) * 0.7 + np.asarray(field, dtype=np.float32) * 0.3
    pixels += noise.normal(0, 6, pixels.shape)
    return Image.fromarray(pixels.clip(0, 255).astype(np.uint8), "RGB")


def encode(image: Image.Image, format: str = "JPEG", quality: int = 90) -> bytes:
    out = io.BytesIO()
    image.save(out, format=format, quality=quality)
    return out.getvalue()


def reencoded(image: Image.Image, quality: int) -> Image.Image:
    return Image.open(io.BytesIO(encode(image, quality=quality))).convert("RGB")


def resized(image: Image.Image, factor: float) -> Image.Image:
    return image.resize((int(image.width * factor), int(image.height * factor)))


def cropped(image: Image.Image, share: float) -> Image.Image:
    dx, dy = int(image.width * share), int(image.height * share)
    return image.crop((dx, dy, image.width - dx, image.height - dy))


def bordered(image: Image.Image, pixels: int = 40, colour: tuple[int, int, int] = (0, 0, 0)) -> Image.Image:
    framed = Image.new("RGB", (image.width + 2 * pixels, image.height + 2 * pixels), colour)
    framed.paste(image, (pixels, pixels))
    return framed


def screenshot(image: Image.Image) -> Image.Image:
    """As a phone shows it: white chrome above and below, the picture letterboxed in between."""
    phone = Image.new("RGB", (image.width + 20, image.height + 260), (250, 250, 250))
    draw = ImageDraw.Draw(phone)
    draw.rectangle((0, 0, phone.width, 60), fill=(245, 245, 245))
    phone.paste(image, (10, 120))
    return phone


def captioned(image: Image.Image, text: str = "SHARE BEFORE THEY DELETE THIS") -> Image.Image:
    """A meme's caption bar above the picture."""
    bar = 70
    out = Image.new("RGB", (image.width, image.height + bar), (255, 255, 255))
    out.paste(image, (0, bar))
    draw = ImageDraw.Draw(out)
    draw.text((12, 20), text, fill=(0, 0, 0), font=ImageFont.load_default(size=28))
    return out


def overlaid(image: Image.Image, text: str = "BREAKING") -> Image.Image:
    out = image.copy()
    draw = ImageDraw.Draw(out)
    draw.text((20, out.height - 60), text, fill=(255, 255, 255), font=ImageFont.load_default(size=36))
    return out


IMAGE_TRANSFORMS: dict[str, Callable[[Image.Image], Image.Image]] = {
    "jpeg q30": lambda im: reencoded(im, 30),
    "jpeg q60": lambda im: reencoded(im, 60),
    "half size": lambda im: resized(im, 0.5),
    "double size": lambda im: resized(im, 2.0),
    "crop 5%": lambda im: cropped(im, 0.05),
    "black border": bordered,
    "white border": lambda im: bordered(im, 30, (255, 255, 255)),
    "screenshot": screenshot,
    "caption bar": captioned,
    "text overlay": overlaid,
}


def video(seed: int, seconds: float = 8.0, size: tuple[int, int] = (320, 240), fps: int = 12) -> bytes:
    """A clip of a few scenes, each a drawn picture panning slowly, as MPEG-4 in an MP4 file."""
    import av

    rng = random.Random(seed)
    scenes = [scene(seed * 1000 + n, (size[0] + 80, size[1] + 60)) for n in range(max(1, int(seconds // 3)))]
    out = io.BytesIO()
    with av.open(out, mode="w", format="mp4") as container:
        stream = container.add_stream("mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        stream.bit_rate = 600_000
        total = int(seconds * fps)
        drift = rng.choice((-1, 1))
        for index in range(total):
            picture = scenes[min(index * len(scenes) // total, len(scenes) - 1)]
            step = index % (3 * fps)
            x = 40 + drift * min(step, 39)
            frame = av.VideoFrame.from_image(picture.crop((x, 20, x + size[0], 20 + size[1])))
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


def transcode(
    data: bytes,
    *,
    start: float = 0.0,
    end: float | None = None,
    size: tuple[int, int] | None = None,
    letterbox: int = 0,
    bit_rate: int = 300_000,
) -> bytes:
    """A copy of a clip as people's phones make them: trimmed, rescaled, letterboxed, re-encoded."""
    import av

    out = io.BytesIO()
    with av.open(io.BytesIO(data)) as source, av.open(out, mode="w", format="mp4") as target:
        source_stream = source.streams.video[0]
        width, height = size or (source_stream.width, source_stream.height)
        stream = target.add_stream("mpeg4", rate=source_stream.average_rate or 12)
        stream.width, stream.height, stream.pix_fmt = width, height + 2 * letterbox, "yuv420p"
        stream.bit_rate = bit_rate
        for frame in source.decode(source_stream):
            if frame.time is None or frame.time < start or (end is not None and frame.time > end):
                continue
            picture = frame.to_image().resize((width, height))
            if letterbox:
                boxed = Image.new("RGB", (width, height + 2 * letterbox))
                boxed.paste(picture, (0, letterbox))
                picture = boxed
            for packet in stream.encode(av.VideoFrame.from_image(picture)):
                target.mux(packet)
        for packet in stream.encode():
            target.mux(packet)
    return out.getvalue()
