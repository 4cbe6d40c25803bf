"""Default decision thresholds on the calibrated match score.

Figures that justify them are in the comments; re-run `python benchmarks/matching.py --all-splits`
after changing the score model.
"""

from __future__ import annotations

from .model import Thresholds

# Provisional (stage 1): set from the dev split; see benchmarks/STAGE1_DONE.
ANSWER = 0.90
SUGGEST = 0.50

# An answer also needs this lead over the runner-up fact-check: two near-equal candidates are a
# suggestion, not an answer.
ANSWER_MARGIN = 0.10

# An answer also needs the fact-check to cover what the question says: idf-weighted share of the
# question's terms found in it, and no specific question word (idf / max idf) missing from it.
# "Did the Pope endorse Biden?" against "Did the Pope endorse Trump?" fails both.
ANSWER_MIN_QUERY_COVERAGE = 0.80
ANSWER_MAX_MISSING_IDF = 0.60

DEFAULT_THRESHOLDS = Thresholds(answer=ANSWER, suggest=SUGGEST)
