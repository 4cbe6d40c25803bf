"""Claim matching: find the stored fact-check a question is about, with a calibrated score.

Lexical by default (own BM25 index + rapidfuzz rerank; numpy and rapidfuzz only).  With
`Matcher(encoder=Encoder())` (bot.matching.semantic: ONNX, no torch) it also ranks by sentence
embeddings; give each fact-check's stored vector to `upsert(doc, vector=...)` so nothing is
encoded at start-up.
"""

from .matcher import Matcher
from .model import Match, MatchDocument, Thresholds
from .normalise import is_chitchat, normalise
from .semantic import Encoder, semantic_available
from .similarity import question_similarity, restates
from .thresholds import DEFAULT_THRESHOLDS, SEMANTIC_THRESHOLDS

__all__ = [
    "DEFAULT_THRESHOLDS",
    "SEMANTIC_THRESHOLDS",
    "Encoder",
    "Match",
    "MatchDocument",
    "Matcher",
    "Thresholds",
    "is_chitchat",
    "normalise",
    "question_similarity",
    "restates",
    "semantic_available",
]
