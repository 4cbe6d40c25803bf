"""Photos and videos: recall of transformed copies, false matches against distractors, time per file.

    python benchmarks/media.py [--images 40] [--distractors 300] [--videos 6]

Builds its own set (tests/media_factory.py: drawn scenes, short MPEG-4 clips), so it needs nothing
downloaded. Times are CPU seconds of this process on one core (PyAV decodes with one thread here).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.media import MediaIndex, fingerprint  # noqa: E402
from tests.media_factory import IMAGE_TRANSFORMS, encode, scene, transcode, video  # noqa: E402


def cpu(fn, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN201
    started = time.process_time()
    result = fn(*args, **kwargs)
    return result, time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=40)
    parser.add_argument("--distractors", type=int, default=300)
    parser.add_argument("--videos", type=int, default=6)
    args = parser.parse_args()

    index = MediaIndex()
    originals = [scene(seed) for seed in range(args.images)]
    for media_id, picture in enumerate(originals):
        index.add(media_id, fingerprint(encode(picture), known=True))
    found, total, seconds = 0, 0, []
    for name, transform in IMAGE_TRANSFORMS.items():
        right = 0
        for media_id, picture in enumerate(originals):
            data = encode(transform(picture))
            print_, spent = cpu(fingerprint, data)
            seconds.append(spent)
            match = index.match(print_)
            right += match is not None and match.media_id == media_id
        print(f"  {name:14s} {right}/{len(originals)}")
        found, total = found + right, total + len(originals)
    print(f"images: recall@1 {found}/{total} ({found / total:.1%}) over {len(IMAGE_TRANSFORMS)} transforms")
    false = sum(
        index.match(fingerprint(encode(scene(10_000 + s)))) is not None for s in range(args.distractors)
    )
    print(f"images: false matches {false}/{args.distractors} distractors ({false / args.distractors:.2%})")
    median, worst = statistics.median(seconds) * 1000, max(seconds) * 1000
    print(f"images: CPU per image median {median:.1f} ms, max {worst:.1f} ms")

    clips = [video(seed, seconds=10) for seed in range(args.videos)]
    videos = MediaIndex()
    for media_id, clip in enumerate(clips):
        videos.add(media_id, fingerprint(clip, known=True))
    copies = {
        "re-encode": lambda c: transcode(c, bit_rate=150_000),
        "trim 2-8 s": lambda c: transcode(c, start=2.0, end=8.0),
        "resize": lambda c: transcode(c, size=(240, 180)),
        "letterbox": lambda c: transcode(c, letterbox=30),
    }
    right = sum(
        (m := videos.match(fingerprint(make(clip)))) is not None and m.media_id == media_id
        for make in copies.values()
        for media_id, clip in enumerate(clips)
    )
    print(f"videos: recall@1 {right}/{len(copies) * len(clips)} ({', '.join(copies)})")
    false = sum(
        videos.match(fingerprint(video(500 + s, seconds=10))) is not None for s in range(args.videos * 3)
    )
    print(f"videos: false matches {false}/{args.videos * 3} distractor clips")
    long = video(77, seconds=30, size=(640, 360), fps=24)
    _, spent = cpu(fingerprint, long)
    print(f"videos: CPU for a 30-second 640x360 clip {spent:.2f} s ({len(long) // 1024} KB)")


if __name__ == "__main__":
    main()
