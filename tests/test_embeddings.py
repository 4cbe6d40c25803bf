"""Sentence vectors: computed once, in batches, off the import and start-up paths (issue 15 items 1, 3).

The encoder is the real one (all-MiniLM-L6-v2 on onnxruntime); one loaded model is shared per process,
and the fixtures are small (the 17 starter fact-checks, which ship their vectors, plus a few dozen
CheckThat! claims).
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import time
from collections.abc import Iterator
from itertools import islice

import pytest
from sqlalchemy import text
from sqlmodel import Session, col, select

from bot.cli import main as claimbot_main
from bot.domain import FactCheckRecord, Verdict
from bot.importers import read_records
from bot.matching import Encoder
from bot.service import ClaimService
from store.models import Embedding, FactCheck, FactCheckStatus
from tests.conftest import CHECKTHAT, ROOT, make_settings

MODEL = Encoder.name
COFFEE = FactCheckRecord(
    url="https://factcheck.example/coffee-growth",
    claim="Drinking coffee stops children from growing taller",
    verdict=Verdict.FALSE,
    rating_text="False",
    summary="No study finds such an effect.",
    publisher="Test Fact Check",
)
# No word in common with the claim beyond stopwords: only the vectors can find it.
COFFEE_PARAPHRASE = "does caffeine stunt kids height"


@pytest.fixture
def encoded(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of fact-check texts each batch encoding was given (questions are not counted)."""
    calls: list[int] = []
    original = Encoder.encode_fact_checks

    def counting(self: Encoder, docs):  # noqa: ANN001, ANN202
        calls.append(len(docs))
        return original(self, docs)

    monkeypatch.setattr(Encoder, "encode_fact_checks", counting)
    return calls


def checkthat(count: int) -> list[FactCheckRecord]:
    records = read_records(CHECKTHAT / "vclaims.jsonl")
    return [r for r in islice(records, count) if isinstance(r, FactCheckRecord)]


def published_ids(service: ClaimService) -> set[int]:
    with Session(service.engine) as session:
        query = select(FactCheck.id).where(FactCheck.status == FactCheckStatus.PUBLISHED)
        return {i for i in session.exec(query) if i is not None}


def stored(service: ClaimService) -> dict[int, tuple[str, int]]:
    with Session(service.engine) as session:
        return {e.fact_check_id: (e.model, e.revision) for e in session.exec(select(Embedding))}


@pytest.fixture
def worker(settings) -> Iterator[ClaimService]:  # noqa: ANN001
    service = ClaimService.open(settings)
    yield service
    service.engine.dispose()


def test_an_import_encodes_nothing_and_is_matchable_lexically_at_once(
    worker: ClaimService, encoded: list[int]
) -> None:
    records = checkthat(40)
    report = worker.import_records(records)
    assert report.added == 40
    assert encoded == []
    imported = {i for i in published_ids(worker) if i not in stored(worker)}
    assert len(imported) == 40
    assert set(worker.catalogue.pending_vectors()) == imported
    decision, candidates = worker.evaluate(records[7].claim)
    assert candidates[0].fact_check.url == records[7].url
    assert "cos" not in candidates[0].signals  # matched lexically: it has no vector yet


def test_claimbot_index_encodes_each_missing_vector_once_and_is_idempotent(
    worker: ClaimService, encoded: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    worker.import_records(checkthat(30))
    db = worker.settings.database_url
    assert claimbot_main(["--db", db, "index"]) == 0
    assert sum(encoded) == 30  # the starter set came with its vectors
    assert "encoded 30 fact-checks" in capsys.readouterr().out
    with Session(worker.engine) as session:
        revisions = {f.id: f.revision for f in session.exec(select(FactCheck))}
    assert stored(worker) == {i: (MODEL, revisions[i]) for i in published_ids(worker)}
    assert claimbot_main(["--db", db, "index"]) == 0
    assert sum(encoded) == 30
    assert "encoded 0 fact-checks" in capsys.readouterr().out
    # A worker starting now reads every vector back and encodes nothing.
    restarted = ClaimService.open(worker.settings)
    assert restarted.catalogue.pending_vectors() == {}
    assert all(restarted.matcher.has_vector(i) for i in published_ids(worker))
    assert sum(encoded) == 30
    restarted.engine.dispose()


def test_a_revised_fact_check_is_encoded_again_for_its_new_revision(worker: ClaimService) -> None:
    worker.import_records([COFFEE])
    with Session(worker.engine) as session:
        coffee = session.exec(select(FactCheck.id).where(FactCheck.url == COFFEE.url)).one()
    assert worker.index_vectors().encoded == 1
    assert stored(worker)[coffee] == (MODEL, 1)
    worker.import_records([dataclasses.replace(COFFEE, claim="Coffee makes children shorter")])
    assert not worker.matcher.has_vector(coffee)  # the old revision's vector is never used
    assert worker.catalogue.pending_vectors() == {coffee: 2}
    assert worker.index_vectors().encoded == 1
    assert stored(worker)[coffee] == (MODEL, 2)
    assert worker.background_encoder().run_once() == 0  # takes the stored one
    assert worker.matcher.has_vector(coffee)


def test_the_background_encoder_makes_a_new_fact_check_matchable_by_meaning_without_a_restart(
    worker: ClaimService,
    settings,  # noqa: ANN001
) -> None:
    other = ClaimService.open(settings, load_index=False)  # another process: `claimbot import`
    other.import_records([COFFEE])
    other.engine.dispose()
    worker.refresh_index()  # what the index follower does on NOTIFY or its poll
    decision, candidates = worker.evaluate(COFFEE_PARAPHRASE)
    assert all(c.fact_check.url != COFFEE.url for c in candidates)

    background = worker.background_encoder()
    assert background is not None
    background.start()
    try:
        for _ in range(600):  # a bound, not a timing assertion: the thread is done in well under a second
            if not worker.catalogue.pending_vectors():
                break
            time.sleep(0.1)
    finally:
        background.stop()
    assert background.encoded == 1
    decision, candidates = worker.evaluate(COFFEE_PARAPHRASE)
    assert candidates[0].fact_check.url == COFFEE.url
    assert candidates[0].signals["cos"] > 0.6
    # Ranked first by meaning; whether it is answered is the verifier's call (issue 15 item 2).
    # Stored with its revision: a second worker starting now reads it back.
    assert list(stored(worker).values()).count((MODEL, 1)) == len(published_ids(worker))


def test_a_model_name_change_is_reencoded_only_by_the_command(
    worker: ClaimService, encoded: list[int], capsys: pytest.CaptureFixture[str]
) -> None:
    worker.import_records(checkthat(10))
    worker.index_vectors()
    with worker.engine.begin() as connection:  # as if the vectors had been made by an older model
        connection.execute(text("UPDATE embedding SET model = 'an-older-model'"))
    encoded.clear()
    published = published_ids(worker)

    restarted = ClaimService.open(worker.settings)
    assert set(restarted.catalogue.pending_vectors()) == published  # lexical, never the old vectors
    assert not any(restarted.matcher.has_vector(i) for i in published)
    background = restarted.background_encoder()
    assert background is not None and background.run_once() == 0
    assert encoded == []
    db = worker.settings.database_url
    assert claimbot_main(["--db", db, "index"]) == 0
    assert encoded == []
    assert f"{len(published)} fact-checks have vectors of another model only" in capsys.readouterr().out

    assert claimbot_main(["--db", db, "index", "--reencode"]) == 0
    assert sum(encoded) == len(published)
    assert set(stored(worker).values()) == {(MODEL, 1)}  # the old model's vectors are gone
    assert claimbot_main(["--db", db, "index", "--reencode"]) == 0
    assert sum(encoded) == len(published)  # once
    # The running worker picks up what the command stored, without encoding it again.
    assert background.run_once() == 0
    assert restarted.catalogue.pending_vectors() == {}
    assert all(restarted.matcher.has_vector(i) for i in published)
    restarted.engine.dispose()


@pytest.mark.parametrize(("semantic", "loaded"), [("false", "False"), ("true", "True")])
def test_lexical_only_never_loads_onnxruntime(tmp_path, semantic: str, loaded: str) -> None:  # noqa: ANN001
    db = f"sqlite:///{tmp_path / 'claimbot.db'}"
    program = (
        "import sys\n"
        "from bot.cli import main\n"
        f"code = main(['--db', {db!r}, 'ask', 'did a new york cop arrest an ice agent'])\n"
        "print('onnxruntime' in sys.modules)\n"
        "sys.exit(code)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "CLAIMBOT_SEMANTIC": semantic, "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == loaded


def test_starter_vectors_are_the_ones_the_model_makes(tmp_path) -> None:  # noqa: ANN001
    from bot.usecases.embedding import write_starter_vectors

    service = ClaimService.open(make_settings(f"sqlite:///{tmp_path / 'claimbot.db'}"))
    shipped = service.catalogue.pending_vectors()
    assert shipped == {}  # every starter fact-check starts with its vector
    import numpy as np

    write_starter_vectors(tmp_path / "fresh.npz")
    fresh = np.load(tmp_path / "fresh.npz")
    bundled = np.load(ROOT / "bot" / "data" / "starter.vectors.npz")
    assert list(fresh["digests"]) == list(bundled["digests"])  # regenerate after editing starter.jsonl
    assert float(np.min(np.einsum("ij,ij->i", fresh["vectors"], bundled["vectors"]))) > 0.999
    service.engine.dispose()


def test_a_text_is_encoded_as_it_would_be_alone_whatever_its_batch() -> None:
    """Texts are deduplicated, sorted by token count, padded per batch and run two batches at once:
    none of that may move a vector (the model masks the padding), nor the order they come back in."""
    import numpy as np

    texts = [r.claim for r in checkthat(9)]
    texts = [texts[0], *texts, "short", texts[3], "a much longer text " * 12, "short"]
    alone = np.stack([Encoder(batch_size=1).encode([t])[0] for t in texts])
    batched = Encoder(batch_size=3, parallel=2).encode(texts)
    assert batched.shape == (len(texts), Encoder.dimensions)
    np.testing.assert_allclose(batched, alone, rtol=0, atol=1e-6)


def test_a_fact_checks_vector_and_field_vectors_come_from_one_encode(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import numpy as np

    from bot.matching import MatchDocument
    from bot.matching.normalise import strip_noise
    from bot.matching.semantic import document_text

    docs = [
        MatchDocument(1, COFFEE.claim, "Coffee and height", COFFEE.summary),
        MatchDocument(2, "Vaccines contain microchips", "Vaccines contain microchips", ""),  # title = claim
    ]
    encoder = Encoder(batch_size=2)
    calls: list[list[str]] = []
    original = Encoder.encode
    monkeypatch.setattr(
        Encoder, "encode", lambda self, texts: calls.append(list(texts)) or original(self, texts)
    )
    vectors, fields = encoder.encode_fact_checks(docs)
    assert len(calls) == 1  # the four texts of each share the batches
    monkeypatch.undo()
    np.testing.assert_allclose(vectors, encoder.encode([document_text(d) for d in docs]), rtol=0, atol=1e-6)
    for i, doc in enumerate(docs):
        for j, field in enumerate((doc.claim, doc.title, doc.summary)):
            expected = encoder.encode([strip_noise(field)])[0] if field else np.zeros(Encoder.dimensions)
            np.testing.assert_allclose(fields[i, j], expected, rtol=0, atol=1e-6)


def test_claimbot_index_on_two_cores_stores_the_vectors_one_core_makes(
    worker: ClaimService, capsys: pytest.CaptureFixture[str]
) -> None:
    import numpy as np

    from bot.matching import MatchDocument
    from store import embeddings

    records = checkthat(12)
    worker.import_records(records)
    assert claimbot_main(["--db", worker.settings.database_url, "index", "--threads", "2"]) == 0
    assert "encoded 12 fact-checks" in capsys.readouterr().out
    with Session(worker.engine) as session:
        ids = {f.url: (f.id, f.revision) for f in session.exec(select(FactCheck))}
        revisions = dict(ids[r.url] for r in records)
        saved = embeddings.load_with_fields(session, MODEL, revisions)
        facts = {
            f.id: f for f in session.exec(select(FactCheck).where(col(FactCheck.id).in_(list(revisions))))
        }
    docs = [MatchDocument(i, facts[i].claim, facts[i].title or "", facts[i].summary or "") for i in revisions]
    vectors, fields = Encoder(batch_size=1).encode_fact_checks(docs)
    for doc, vector, field_vectors in zip(docs, vectors, fields, strict=True):
        stored_vector, stored_fields = saved[doc.fact_check_id]
        np.testing.assert_allclose(stored_vector, vector, rtol=0, atol=1e-6)
        np.testing.assert_array_equal(stored_fields, field_vectors.astype(np.float16))
