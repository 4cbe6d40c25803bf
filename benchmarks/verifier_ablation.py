"""Out-of-fold tune figures of the semantic verifier with and without a feature (from the shipped
examples, bot/matching/verifier_data.json.gz; the threshold chosen by the same rule as the fit).

    python benchmarks/verifier_ablation.py [FEATURE ...]   # default: substitution_drift
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.matching import fitting  # noqa: E402
from bot.matching.verifier import FEATURES  # noqa: E402


def main(argv: list[str]) -> int:
    dropped = set(argv) or {"substitution_drift"}
    sets = fitting.load_examples()["semantic"]
    full = FEATURES["semantic"]
    try:
        for name, names in (("all features", full), (f"without {', '.join(sorted(dropped))}", None)):
            FEATURES["semantic"] = names or tuple(f for f in full if f not in dropped)
            tune, train, dev = sets["tune"], sets["train"], sets["dev"]
            oof = fitting.out_of_fold(tune, train, "semantic")
            final = fitting.fit_models([*train, *tune], "semantic")
            chosen = fitting.choose_threshold(
                [*tune, *dev], oof + [final.probability(e.features) for e in dev]
            )
            print(f"{name}: threshold {chosen}")
            for threshold in (chosen, 0.95, 0.9, 0.8, 0.7):
                f = fitting.figures(tune, oof, threshold)
                right, para = f["paraphrase_right"], f["paraphrase_n"]
                near, near_n = f["near_miss_answered"], f["near_miss_n"]
                print(
                    f"  @ {threshold}: paraphrases right {right:.0f} / {para:.0f}, near misses "
                    f"{near:.0f} / {near_n:.0f}, unrelated {f.get('unrelated_answered', 0):.0f}"
                )
    finally:
        FEATURES["semantic"] = full
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
