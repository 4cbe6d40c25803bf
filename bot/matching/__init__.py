"""Claim matching: find the stored fact-check a question is about, with a calibrated score.

Lexical by default (own BM25 index + rapidfuzz rerank; numpy and rapidfuzz only).
"""

from .matcher import Matcher
from .model import Match, MatchDocument, Thresholds
from .normalise import is_chitchat, normalise
from .similarity import question_similarity
from .thresholds import DEFAULT_THRESHOLDS

__all__ = [
    "DEFAULT_THRESHOLDS",
    "Match",
    "MatchDocument",
    "Matcher",
    "Thresholds",
    "is_chitchat",
    "normalise",
    "question_similarity",
]
