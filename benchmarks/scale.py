"""Scale benchmark: 14k / 300k generated ClaimReview fact-checks on SQLite and PostgreSQL.

    python benchmarks/scale.py --quick                       # 14k only, a few hundred questions
    python benchmarks/scale.py --sizes 14000,300000 --engines sqlite,postgres --questions 2000 --no-fts
    nohup python benchmarks/scale.py --no-fts > benchmarks/out/scale.txt 2>&1 &

For every engine and size, on a fresh database:

* import rate: generated ClaimReview JSON Lines through `read_records` and
  `ClaimService.import_records(index=False)` (the product's import path), in a fresh process;
* vectors for every fact-check (benchmarks/scale_index.py: synthetic by default, `--vectors encode`
  for `claimbot index`);
* the first start, which finds no index files and builds them (one full read), then a worker's
  start on them in a fresh process (imports, open, the files mapped, the change feed read: "ready"),
  lexical-only (CLAIMBOT_SEMANTIC=false) and by default (vectors; the model loaded), with its
  resident memory (VmRSS, VmHWM from /proc/self/status);
* per question, in each mode: `ClaimService.ask` latency p50 / p99 over N questions (paraphrases of
  stored claims, exact claims, unrelated questions), each from a distinct asker so the per-asker
  throttle never kicks in, and `Matcher.match` alone (question encoding included), wall and CPU;
  pinned to one core unless --all-cores;
* beside them, a plain bm25s program over the same fact-checks and questions (build, mmap load,
  tokenise + retrieve per question, memory);
* sustained questions per second with 1 and 2 worker processes against the same database (default
  mode);
* PostgreSQL only, an experiment that is not wired into the product: candidate retrieval in the
  database (tsvector + GIN full-text search, pg_trgm similarity) against the in-memory BM25
  candidates of the Matcher: latency and recall@50 of the paraphrased claim.

Generated data and databases live in benchmarks/out/scale/ (git-ignored) and are removed at the end
unless --keep.  The PostgreSQL server is named by --pg-url (a maintenance database the script may
CREATE/DROP DATABASE from); the benchmark database is `claimbot_bench`.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import itertools
import json
import os
import platform
import pstats
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import scale_index  # noqa: E402
from scale_index import proc_status  # noqa: E402

OUT = ROOT / "benchmarks" / "out"
WORK = OUT / "scale"
PROFILES = OUT / "scale_profile"  # kept after the run
PG_BENCH_DB = "claimbot_bench"
DEFAULT_PG_URL = os.environ.get("CLAIMBOT_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
SEED = 20260207
FTS_QUESTIONS = 200  # questions of the database candidate-retrieval experiment
FTS_TIMEOUT_MS = 2000
GOAL_IMPORT_RATE = 5000.0  # records/s
GOAL_READY_S = 5.0  # a worker's start on its index files, at 300k
GOAL_RSS_MB = 1200.0  # per worker, with vectors
GOAL_LEXICAL_VS_BM25S = 1.0  # per question, lexical-only against plain bm25s, at 300k
GOAL_DEFAULT_VS_BM25S = 3.0  # per question, default mode (question encoding included) against bm25s
MODES = {"lexical": {"CLAIMBOT_SEMANTIC": "false"}, "default": {"CLAIMBOT_SEMANTIC": "true"}}

# --- generated corpus ---------------------------------------------------------------------------


def _words(text: str, sep: str | None = None) -> list[str]:
    return [w.strip() for w in text.split(sep) if w.strip()]


FIRST = _words(
    "John Maria David Sarah Michael Emma James Olivia Robert Sophia William Ava Joseph Mia Thomas Isabella "
    "Charles Amelia Daniel Harper Matthew Evelyn Anthony Abigail Mark Emily Donald Elizabeth Steven Sofia "
    "Paul Ella Andrew Madison Joshua Scarlett Kenneth Victoria Kevin Aria Brian Grace George Chloe Timothy "
    "Camila Ronald Penelope Edward Riley Jason Layla Jeffrey Lillian Ryan Nora Jacob Zoey Gary Mila "
    "Ahmed Fatima Raj Priya Wei Mei Hiroshi Yuki Olga Ivan Pierre Claire Hans Greta Carlos Lucia"
)
SYLLABLES = _words(
    "ka lo mi ra ven tor bel sa din gar mon lis pe ru che va nor tes bri al mar cor fen hal "
    "jor kel lan mer nik pol quin rov sel tam ul vor wen yal zan dor fel gus"
)
# Unrelated questions use syllables that never occur in the corpus, so their names are unknown words.
OTHER_SYLLABLES = _words("xu qo zy ix uv oj ek az")
PLACES = _words(
    "Paris London Berlin Madrid Rome Lisbon Dublin Warsaw Prague Vienna Budapest Athens Oslo Stockholm "
    "Helsinki Copenhagen Amsterdam Brussels Zurich Geneva Istanbul Cairo Lagos Nairobi Johannesburg "
    "Mumbai Delhi Karachi Dhaka Jakarta Manila Tokyo Seoul Beijing Shanghai Sydney Melbourne Auckland "
    "Toronto Vancouver Montreal Chicago Texas Florida California Ohio Georgia Arizona Nevada Oregon "
    "Boston Seattle Denver Atlanta Miami Dallas Houston Phoenix Detroit Minneapolis Brazil Mexico Peru "
    "Chile Argentina Colombia Canada Ukraine Poland Romania Nigeria Kenya Ghana Egypt India Pakistan "
    "Indonesia Vietnam Thailand Australia Spain Italy France Germany Sweden Norway Finland Ireland Scotland"
)
ORGS = _words(
    "WHO UN NATO EU FDA CDC NASA FBI Pfizer Moderna Google Facebook Twitter TikTok Amazon Apple Microsoft "
    "Tesla Walmart McDonalds Starbucks Netflix Disney BBC CNN Reuters UNICEF Interpol Greenpeace Bayer "
    "Nestle Unilever Shell Boeing Airbus Samsung Huawei Toyota Ikea"
)
ROLES = _words(
    "mayor senator governor president minister doctor nurse teacher police officer judge bishop "
    "footballer singer actor scientist professor journalist billionaire general activist"
)
THINGS = _words(
    "vaccines|masks|5G towers|bananas|tap water|coffee|chocolate|garlic|vitamin C|fluoride|microwaves|"
    "smartphones|electric cars|wind turbines|solar panels|cash payments|plastic bottles|energy drinks|"
    "sunscreen|baby formula|bread|milk|eggs|rice|sugar|salt|aspirin|ibuprofen|paracetamol|chemtrails|"
    "face recognition cameras|drones|cryptocurrency|gas stoves|school uniforms|homework|video games|"
    "fireworks|dogs|cats|pigeons|mosquitoes|bees|chickens|cows|onions|lemons|honey|olive oil",
    "|",
)
AILMENTS = _words(
    "cancer|autism|infertility|dementia|heart attacks|strokes|diabetes|asthma|blindness|hair loss|"
    "memory loss|insomnia|COVID-19|measles|malaria|flu|obesity|allergies|depression",
    "|",
)
ACTIONS = _words(
    "banned outlawed approved recalled taxed subsidised legalised restricted seized destroyed "
    "renamed closed privatised nationalised doubled halved"
)
EVENTS = _words(
    "a protest|a concert|a football match|a rally|a funeral|a wedding|a parade|an election debate|"
    "a press conference|a festival|a riot|a summit|a vigil|a march",
    "|",
)
CROWD = _words("protesters fans soldiers police officers students farmers migrants tourists workers refugees")
DEEDS = _words(
    "burning flags|dancing on cars|looting shops|attacking journalists|praying in the street|"
    "blocking a highway|tearing down a statue|storming a building|cheering for the army|fighting police",
    "|",
)
CRIMES = _words(
    "fraud|bribery|drunk driving|tax evasion|smuggling|espionage|shoplifting|assault|arson|hacking", "|"
)
PUBLISHERS = _words(
    "AFP Fact Check|Reuters Fact Check|PolitiFact|FactCheck.org|Snopes|Full Fact|Maldita|Correctiv|"
    "Africa Check|Boom Live|Lead Stories|AAP FactCheck|Newtral|Les Decodeurs|Teyit|Aos Fatos|Vera Files|"
    "Check Your Fact|USA Today Fact Check|Logically Facts",
    "|",
)
RATINGS = (
    ("False", 1), ("Mostly false", 2), ("Misleading", 2), ("Missing context", 3), ("Mixed", 3),
    ("Mostly true", 4), ("True", 5), ("Unproven", 3), ("Satire", 1), ("Outdated", 3),
    ("Pants on Fire", 1), ("Altered photo", 1), ("Partly false", 2), ("Half true", 3),
)  # fmt: skip
OUTLETS = _words(
    "Ministry of Health|National Statistics Office|Associated Press|BBC News|The Guardian|Le Monde|"
    "Der Spiegel|El Pais|WHO|CDC|Eurostat|World Bank|Court records|Police statement|University study",
    "|",
)
SYNONYMS = {
    "banned": "outlawed",
    "said": "claimed",
    "photo": "picture",
    "video": "clip",
    "causes": "leads to",
    "arrested": "detained",
    "died": "passed away",
    "shows": "proves",
    "will": "is going to",
    "cure": "heal",
    "new": "recent",
    "secretly": "quietly",
}
FRAMES = (
    "", "", "is it true that ", "did ", "I heard that ", "is this real: ", "someone told me ",
    "fact check: ", "my uncle says ", "true or false: ", "wait, ",
)  # fmt: skip
UNRELATED = (
    "how do I reset my {device}",
    "what time does the {shop} in {newplace} open",
    "who won the {sport} game last night",
    "can you recommend a good {food} recipe",
    "{newname} opened a {shop} in {newplace}",
    "{newname} will sell {device} in {newplace} next year",
    "is the {shop} in {newplace} hiring",
    "why is my {device} so slow",
)
DEVICES = _words("router printer laptop phone tablet smartwatch thermostat camera")
SHOPS = _words("bakery|pharmacy|library|museum|gym|post office|cinema|zoo", "|")
SPORTS = _words("cricket hockey rugby tennis baseball volleyball")
FOODS = _words("lasagne curry soup pancake risotto dumpling")


def _name(rng: random.Random, syllables: list[str] = SYLLABLES) -> str:
    return "".join(rng.choice(syllables) for _ in range(rng.choice((2, 2, 3)))).capitalize()


def _place(rng: random.Random) -> str:
    if rng.random() < 0.3:
        return _name(rng) + rng.choice(("ville", "burg", "ton", "field", "stad", "ia"))
    return rng.choice(PLACES)


def _person(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return f"{rng.choice(ROLES)} {rng.choice(FIRST)} {_name(rng)}"
    return f"{rng.choice(FIRST)} {_name(rng)}"


def _claim(rng: random.Random) -> tuple[str, str]:
    """A claim and a headline-ish title."""
    year = rng.randint(1990, 2026)
    n = rng.choice((2, 3, 5, 10, 12, 40, 100, 250, 1000, 5000, 30000))
    p, pl, org, thing = _person(rng), _place(rng), rng.choice(ORGS), rng.choice(THINGS)
    templates = (
        (f"{p} said {thing} cause {rng.choice(AILMENTS)}", f"Did {p} link {thing} to illness?"),
        (f"{pl} {rng.choice(ACTIONS)} {thing} in {year}", f"Has {pl} really acted on {thing}?"),
        (f"Photo shows {p} at {rng.choice(EVENTS)} in {pl}", f"Photo of {p} in {pl} is miscaptioned"),
        (
            f"Video shows {rng.choice(CROWD)} {rng.choice(DEEDS)} in {pl}",
            f"Old video of {pl} shared with false context",
        ),
        (f"{p} was arrested for {rng.choice(CRIMES)} in {pl}", f"No, {p} was not arrested"),
        (f"{n} people died after taking {thing} in {pl}", f"Deaths in {pl} not linked to {thing}"),
        (f"{org} admits {thing} cause {rng.choice(AILMENTS)}", f"{org} made no such admission"),
        (f"{org} will pay {n} dollars to everyone in {pl}", f"{org} giveaway in {pl} is a scam"),
        (f"{thing} cure {rng.choice(AILMENTS)} according to {p}", f"No evidence {thing} cure disease"),
        (f"{p} resigned after a scandal over {thing} in {year}", f"{p} did not resign over {thing}"),
        (f"{org} secretly {rng.choice(ACTIONS)} {thing} in {pl}", f"Claim about {org} and {thing} is false"),
        (f"{pl} will ban {thing} from {year}", f"{pl} has no plan to ban {thing}"),
        (f"{p} owns {n} houses in {pl}", f"Property claim about {p} is unfounded"),
        (f"{n} percent of {thing} sold in {pl} are fake", f"Figure on fake {thing} in {pl} is invented"),
    )
    return templates[rng.randrange(len(templates))]


def make_record(i: int) -> dict[str, object]:
    """The i-th generated ClaimReview, deterministic (the benchmark regenerates claims to ask about)."""
    rng = random.Random(SEED * 1_000_003 + i)
    claim, title = _claim(rng)
    publisher = rng.choice(PUBLISHERS)
    rating, value = rng.choice(RATINGS)
    slug = "-".join(claim.lower().split()[:8]).replace(",", "")
    day = date(2016, 1, 1) + timedelta(days=rng.randrange(3800))
    sources = [
        {
            "@type": "CreativeWork",
            "name": rng.choice(OUTLETS),
            "url": f"https://source{rng.randrange(500)}.example.org/{i}/{k}",
        }
        for k in range(rng.randint(1, 3))
    ]
    host = publisher.lower().replace(" ", "").replace(".", "")
    summary = (
        f"{rating}. {publisher} found no evidence that {claim[0].lower() + claim[1:]}; "
        f"the claim spread on social media in {day.year}."
    )
    return {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": f"https://{host}.example.com/{day.year}/{i}-{slug}",
        "claimReviewed": claim,
        "headline": title,
        "description": summary,
        "datePublished": day.isoformat(),
        "inLanguage": "en",
        "author": {"@type": "Organization", "name": publisher},
        "reviewRating": {
            "@type": "Rating",
            "alternateName": rating,
            "ratingValue": value,
            "worstRating": 1,
            "bestRating": 5,
        },
        "itemReviewed": {"@type": "Claim"},
        "citation": sources,
    }


def paraphrase(claim: str, rng: random.Random) -> str:
    words = claim.split()
    words = [SYNONYMS.get(w, w) if rng.random() < 0.7 else w for w in words]
    if len(words) > 5 and rng.random() < 0.4:
        del words[rng.randrange(1, len(words))]
    if rng.random() < 0.2:
        long_words = [k for k, w in enumerate(words) if len(w) >= 6 and w.isalpha()]
        if long_words:
            k = rng.choice(long_words)
            w = words[k]
            j = rng.randrange(1, len(w) - 1)
            words[k] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    text = " ".join(words)
    if rng.random() < 0.5:
        text = text.lower()
    return rng.choice(FRAMES) + text + rng.choice(("?", "", "??", " !"))


def unrelated(rng: random.Random) -> str:
    return rng.choice(UNRELATED).format(
        device=rng.choice(DEVICES),
        shop=rng.choice(SHOPS),
        newplace=_name(rng, OTHER_SYLLABLES) + "ville",
        newname=_name(rng, OTHER_SYLLABLES),
        sport=rng.choice(SPORTS),
        food=rng.choice(FOODS),
    )


def make_questions(size: int, count: int, seed: int) -> list[tuple[str, str, str | None]]:
    """(kind, text, expected url): 60% paraphrases, 10% exact claims, 30% unrelated."""
    rng = random.Random(seed)
    out: list[tuple[str, str, str | None]] = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.7:
            record = make_record(rng.randrange(size))
            claim = str(record["claimReviewed"])
            if roll < 0.6:
                out.append(("paraphrase", paraphrase(claim, rng), str(record["url"])))
            else:
                out.append(("exact", claim, str(record["url"])))
        else:
            out.append(("unrelated", unrelated(rng), None))
    return out


def write_corpus(path: Path, size: int) -> float:
    started = time.perf_counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for i in range(size):
            handle.write(json.dumps(make_record(i), ensure_ascii=False))
            handle.write("\n")
    return time.perf_counter() - started


# --- measuring helpers --------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def cpu_calibration() -> float:
    """ms for a fixed pure-Python loop: shows how loaded this shared machine was."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for i in range(1_000_000):
            total += i * i
        best = min(best, time.perf_counter() - started)
    return best * 1000


def pg_admin(url: str, *statements: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def pg_bench_url(admin_url: str) -> str:
    return admin_url.rsplit("/", 1)[0] + "/" + PG_BENCH_DB


def index_dir(engine: str, size: int) -> Path:
    """Where a database's match index files are: beside SQLite (the default), named for PostgreSQL."""
    return WORK / (f"bench_{size}.db.index" if engine == "sqlite" else f"index_{engine}_{size}")


def fresh_database(engine: str, size: int, pg_url: str) -> str:
    shutil.rmtree(index_dir(engine, size), ignore_errors=True)
    if engine == "sqlite":
        path = WORK / f"bench_{size}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    pg_admin(pg_url, f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)", f"CREATE DATABASE {PG_BENCH_DB}")
    return pg_bench_url(pg_url)


def drop_database(engine: str, size: int, pg_url: str) -> None:
    shutil.rmtree(index_dir(engine, size), ignore_errors=True)
    if engine == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{WORK / f'bench_{size}.db'}{suffix}").unlink(missing_ok=True)
    else:
        pg_admin(pg_url, f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a phase: none of the caller's bot settings, plus the phase's own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAIMBOT_", "TELEGRAM_", "DISCORD_"))}
    return env | (extra or {})


def run_child(args: list[str], timeout: float = 7200, env: dict[str, str] | None = None) -> dict[str, object]:
    """Run one phase in a fresh interpreter (clean memory figures); its last stdout line is JSON.
    `wall_s` is the whole process, interpreter start to exit."""
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, __file__, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=child_env(env),
    )
    if proc.returncode != 0:
        raise RuntimeError(f"phase {args[:2]} failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1]) | {"wall_s": time.perf_counter() - started}


def pin_one_core() -> None:
    """The latency goals are per core: a phase pins itself when the parent asks (SCALE_ONE_CORE)."""
    if os.environ.get("SCALE_ONE_CORE") == "1":
        os.sched_setaffinity(0, {max(os.sched_getaffinity(0))})


# --- phases (each runs in its own process) ------------------------------------------------------


def open_service(url: str, *, load_index: bool):
    from bot.config import load_settings
    from bot.service import ClaimService

    settings = load_settings(CLAIMBOT_DATABASE_URL=url)
    return ClaimService.open(settings, load_index=load_index)


def phase_import(url: str, corpus: Path, size: int, profile: Path | None) -> dict[str, object]:
    from bot.importers import read_records

    service = open_service(url, load_index=False)
    parse_n = min(size, 20_000)
    started = time.perf_counter()
    for _ in itertools.islice(read_records(corpus, "claimreview"), parse_n):
        pass
    parse_rate = parse_n / (time.perf_counter() - started)
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    report = service.import_records(itertools.islice(read_records(corpus, "claimreview"), size), index=False)
    if profiler:
        profiler.disable()
        dump_profile(profiler, profile)
    elapsed = time.perf_counter() - started
    if url.startswith("postgresql"):
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("ANALYZE")  # what autovacuum would do shortly after a bulk load
    return {
        "added": report.added,
        "errors": len(report.errors),
        "seconds": elapsed,
        "rate": size / elapsed,
        "parse_rate": parse_rate,
        **proc_status(),
    }


def _ask_all(service, questions, prefix: str):
    from bot.domain import Asker, ChatRef, Question

    latencies = []
    outcomes: Counter[str] = Counter()
    correct = Counter()
    for i, (kind, text, expected) in enumerate(questions):
        asker = Asker("telegram", f"{prefix}-{i}")
        question = Question(text=text, asker=asker, chat=ChatRef("telegram", f"{prefix}-{i}"))
        started = time.perf_counter()
        outcome = service.ask(question)
        latencies.append(time.perf_counter() - started)
        outcomes[f"{kind}:{outcome.kind.value}"] += 1
        if expected and outcome.candidates and outcome.candidates[0].fact_check.url == expected:
            correct[kind] += 1
    return latencies, outcomes, correct


def _timed_match(service, sink: list[float], cpu: list[float] | None = None) -> None:
    inner = service.matcher.match

    def match(text: str, top_k: int = 5):
        started, process = time.perf_counter(), time.process_time()
        try:
            return inner(text, top_k=top_k)
        finally:
            sink.append(time.perf_counter() - started)
            if cpu is not None:
                cpu.append(time.process_time() - process)

    service.matcher.match = match


def phase_latency(url: str, size: int, count: int, profile: Path | None) -> dict[str, object]:
    from bot.matching.normalise import content_tokens, normalise

    pin_one_core()
    before = proc_status()
    service = open_service(url, load_index=False)
    opened = proc_status()
    started = time.perf_counter()
    indexed = service.load_index()
    index_seconds = time.perf_counter() - started
    after_index = proc_status()
    questions = make_questions(size, count, SEED + size)
    warm = make_questions(size, 20, SEED - 1)
    started = time.perf_counter()
    _ask_all(service, warm[:1], "warm0")
    first_ask = time.perf_counter() - started
    _ask_all(service, warm[1:], "warm")

    match_times: list[float] = []
    match_cpu: list[float] = []
    _timed_match(service, match_times, match_cpu)
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    latencies, outcomes, correct = _ask_all(service, questions, f"lat{size}")
    if profiler:
        profiler.disable()
        dump_profile(profiler, profile)
    after_ask = proc_status()

    # In-memory candidate retrieval alone (what a database full-text query would replace).
    matcher = service.matcher
    del matcher.match  # the timing wrapper
    cand_times, hits, total = [], 0, 0
    urls = _ids_to_urls(service, [q[2] for q in questions if q[0] == "paraphrase"])
    for kind, text, expected in questions:
        started = time.perf_counter()
        terms = matcher._correct_spelling(content_tokens(normalise(text)))
        with matcher._lock:
            found = matcher._bm25_candidates(terms)
        cand_times.append(time.perf_counter() - started)
        if kind == "paraphrase":
            total += 1
            hits += urls.get(expected, -1) in found
    paraphrases = sum(1 for q in questions if q[0] == "paraphrase")
    # What each worker pays to follow other workers' changes (the outbox loop calls it every second).
    refresh = []
    for _ in range(5):
        started = time.perf_counter()
        service.refresh_index()
        refresh.append(time.perf_counter() - started)
    return {
        "indexed": indexed,
        "index_seconds": index_seconds,
        "rss_base": before["VmRSS"],
        "rss_opened": opened["VmRSS"],
        "rss_index": after_index["VmRSS"],
        "rss_after": after_ask["VmRSS"],
        "anon_after": after_ask.get("RssAnon", 0.0),  # the process's own memory ...
        "file_after": after_ask.get("RssFile", 0.0),  # ... and mapped file pages (shared by workers)
        "hwm": after_ask["VmHWM"],
        "first_ask_ms": first_ask * 1000,
        "p50": pct(latencies, 50) * 1000,
        "p90": pct(latencies, 90) * 1000,
        "p99": pct(latencies, 99) * 1000,
        "max": max(latencies) * 1000,
        "mean": statistics.fmean(latencies) * 1000,
        "match_p50": pct(match_times, 50) * 1000,
        "match_p99": pct(match_times, 99) * 1000,
        "match_mean": statistics.fmean(match_times) * 1000,
        "match_cpu_p50": pct(match_cpu, 50) * 1000,
        "match_cpu_p99": pct(match_cpu, 99) * 1000,
        "semantic": service.matcher.encoder is not None,
        "with_vectors": len(service.matcher._vectors),
        "match_share": sum(match_times) / sum(latencies),
        "outcomes": dict(outcomes),
        "top1_paraphrase": correct["paraphrase"] / max(1, paraphrases),
        "bm25_p50": pct(cand_times, 50) * 1000,
        "bm25_p99": pct(cand_times, 99) * 1000,
        "bm25_recall50": hits / max(1, total),
        "refresh_ms": statistics.median(refresh) * 1000,
    }


def _ids_to_urls(service, urls: list[str | None]) -> dict[str | None, int]:
    from sqlmodel import Session, col, select

    from store.models import FactCheck

    wanted = [u for u in set(urls) if u]
    out: dict[str | None, int] = {}
    with Session(service.engine) as session:
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            for fid, furl in session.exec(
                select(FactCheck.id, FactCheck.url).where(col(FactCheck.url).in_(chunk))
            ):
                out[furl] = fid
    return out


def phase_throughput(url: str, size: int, worker: int, duration: float) -> dict[str, object]:
    service = open_service(url, load_index=True)
    questions = make_questions(size, 2000, SEED + 7919 * (worker + 1))
    _ask_all(service, questions[:10], f"tpwarm{worker}")
    print("READY", flush=True)
    sys.stdin.readline()
    deadline = time.perf_counter() + duration
    asked, started = 0, time.perf_counter()
    from bot.domain import Asker, ChatRef, Question

    for i in itertools.count():
        if time.perf_counter() >= deadline:
            break
        kind, text, _ = questions[i % len(questions)]
        tag = f"tp{size}-{worker}-{i}-{os.getpid()}"
        service.ask(Question(text=text, asker=Asker("telegram", tag), chat=ChatRef("telegram", tag)))
        asked += 1
    return {"asked": asked, "seconds": time.perf_counter() - started, **proc_status()}


def run_throughput(
    url: str, size: int, workers: int, duration: float, env: dict[str, str] | None = None
) -> dict[str, object]:
    print(f"#   {size}: throughput, {workers} worker(s) ...", flush=True)
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "_throughput", url, str(size), str(w), str(duration)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=child_env(env),
        )
        for w in range(workers)
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            if line.strip() != "READY":
                raise RuntimeError(f"throughput worker failed: {line}{proc.communicate()[1][-3000:]}")
        for proc in procs:  # all indexes are loaded: start together
            assert proc.stdin is not None
            proc.stdin.write("GO\n")
            proc.stdin.flush()
        results = []
        for proc in procs:
            out, err = proc.communicate(timeout=duration + 600)
            if proc.returncode != 0:
                raise RuntimeError(f"throughput worker failed:\n{err[-3000:]}")
            results.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    asked = sum(r["asked"] for r in results)
    return {"workers": workers, "asked": asked, "qps": sum(r["asked"] / r["seconds"] for r in results)}


def phase_fts(url: str, size: int, count: int) -> dict[str, object]:
    """Experiment: candidate retrieval inside PostgreSQL (not wired into the product)."""
    import psycopg

    from bot.matching.normalise import content_tokens, normalise

    # OR-queries ranked in the database take up to seconds each at 300k: a subset is enough to compare.
    questions = make_questions(size, min(count, FTS_QUESTIONS), SEED + size)
    out: dict[str, object] = {"questions": len(questions)}
    with psycopg.connect(url, autocommit=True) as conn:
        started = time.perf_counter()
        conn.execute(
            "CREATE INDEX bench_fts ON factcheck USING GIN "
            "(to_tsvector('english', claim || ' ' || title || ' ' || summary))"
        )
        out["gin_seconds"] = time.perf_counter() - started
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        started = time.perf_counter()
        conn.execute("CREATE INDEX bench_trgm ON factcheck USING GIN (claim gin_trgm_ops)")
        out["trgm_seconds"] = time.perf_counter() - started
        conn.execute("ANALYZE factcheck")
        out["index_mb"] = conn.execute(
            "SELECT ((pg_relation_size('bench_fts') + pg_relation_size('bench_trgm')) / 1048576.0)::float8"
        ).fetchone()[0]
        urls = dict(conn.execute("SELECT url, id FROM factcheck").fetchall())
        fts_sql = (
            "SELECT id FROM factcheck, to_tsquery('english', %s) q "
            "WHERE to_tsvector('english', claim || ' ' || title || ' ' || summary) @@ q "
            "ORDER BY ts_rank_cd(to_tsvector('english', claim || ' ' || title || ' ' || summary), q) DESC "
            "LIMIT 50"
        )
        conn.execute("SET pg_trgm.similarity_threshold = 0.3")
        # A query over the limit counts as a miss at the limit: a chat answer cannot wait longer.
        conn.execute(f"SET statement_timeout = {FTS_TIMEOUT_MS}")
        trgm_sql = "SELECT id FROM factcheck WHERE claim %% %s ORDER BY claim <-> %s LIMIT 50"
        results = {}
        for name, sql in (("fts", fts_sql), ("trgm", trgm_sql)):
            times, hits, total, timeouts = [], 0, 0, 0
            for kind, text, expected in questions:
                terms = [t for t in content_tokens(normalise(text)) if t.isalnum()]
                started = time.perf_counter()
                try:
                    if name == "fts":
                        rows = conn.execute(sql, (" | ".join(terms),)).fetchall() if terms else []
                    else:
                        plain = normalise(text)
                        rows = conn.execute(sql, (plain, plain)).fetchall()
                except psycopg.errors.QueryCanceled:
                    rows, timeouts = [], timeouts + 1
                times.append(time.perf_counter() - started)
                if kind == "paraphrase":
                    total += 1
                    hits += urls.get(expected, -1) in {r[0] for r in rows}
            results[name] = {
                "p50": pct(times, 50) * 1000,
                "p99": pct(times, 99) * 1000,
                "recall50": hits / max(1, total),
                "timeouts": timeouts,
            }
        out.update(results)
    return out


def dump_profile(profiler: cProfile.Profile, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    profiler.dump_stats(str(path))
    buffer = io.StringIO()
    stats = pstats.Stats(profiler, stream=buffer).strip_dirs()
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(30)
    path.with_suffix(".txt").write_text(buffer.getvalue())


# --- orchestration ------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0].startswith("_"):
        return child(argv)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="14000,300000")
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--questions", type=int, default=2000)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per throughput run")
    parser.add_argument("--workers", default="1,2", help="worker process counts for the throughput runs")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="maintenance database of the PG server")
    parser.add_argument("--no-fts", action="store_true", help="skip the PostgreSQL FTS experiment")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile import and ask (benchmarks/out/scale_profile/)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the generated corpus and databases")
    parser.add_argument(
        "--vectors",
        choices=("synthetic", "encode", "none"),
        default="synthetic",
        help="vectors for the fact-checks: made of word vectors (fast), `claimbot index`, or none",
    )
    parser.add_argument("--all-cores", action="store_true", help="do not pin the latency phases to one core")
    parser.add_argument("--quick", action="store_true", help="14k only, 300 questions, 5 s throughput runs")
    parser.add_argument(
        "--table", nargs="+", metavar="FILE", help="only print the table of the JSON rows in earlier outputs"
    )
    args = parser.parse_args(argv)
    if args.table:
        rows = [
            json.loads(line)
            for name in args.table
            for line in Path(name).read_text().splitlines()
            if line.startswith('{"engine"')
        ]
        print_table(rows, [t["workers"] for t in rows[0]["throughput"]] if rows else [])
        return 0
    if args.quick:
        args.sizes, args.questions, args.duration = "14000", 300, 5.0
    sizes = sorted(int(s) for s in args.sizes.split(","))
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    worker_counts = [int(w) for w in args.workers.split(",")]
    WORK.mkdir(parents=True, exist_ok=True)

    print(f"# ClaimBot scale benchmark  {time.strftime('%Y-%m-%d %H:%M:%S')}")
    print(f"# command: python benchmarks/scale.py {' '.join(argv)}")
    print(
        f"# machine: {platform.machine()} nproc={os.cpu_count()} "
        f"mem={_mem_total_gb():.1f} GB  python {platform.python_version()}  {platform.platform()}"
    )
    calibration_start = cpu_calibration()
    print(f"# cpu calibration (1M-iteration Python loop, best of 3): {calibration_start:.0f} ms", flush=True)

    corpus = WORK / f"claims_{sizes[-1]}.jsonl"
    seconds = write_corpus(corpus, sizes[-1])
    print(
        f"# generated {sizes[-1]} ClaimReview records -> {corpus.relative_to(ROOT)} "
        f"({corpus.stat().st_size / 1e6:.0f} MB, {seconds:.1f} s)",
        flush=True,
    )
    rows = []
    started_all = time.perf_counter()
    try:
        for engine in engines:
            for size in sizes:
                row = measure(engine, size, corpus, args, worker_counts)
                rows.append(row)
                print(json.dumps(row), flush=True)
    finally:
        if not args.keep:
            corpus.unlink(missing_ok=True)
    calibration_end = cpu_calibration()
    print()
    print_table(rows, worker_counts)
    print(
        f"\ncpu calibration: {calibration_start:.0f} ms at start, {calibration_end:.0f} ms at end "
        f"(a shared machine: compare rows of the same run; 10k rows are the same-run baseline)"
    )
    print(f"total time: {time.perf_counter() - started_all:.0f} s")
    (OUT / "scale.json").write_text(json.dumps(rows, indent=2))
    if not args.keep:
        with contextlib.suppress(OSError):
            shutil.rmtree(WORK)
    return 0


def _mem_total_gb() -> float:
    with open("/proc/meminfo") as handle:
        return int(handle.readline().split()[1]) / 1024 / 1024


def measure(engine: str, size: int, corpus: Path, args, worker_counts: list[int]) -> dict[str, object]:
    url = fresh_database(engine, size, args.pg_url)
    row: dict[str, object] = {"engine": engine, "size": size}
    files = {} if engine == "sqlite" else {"CLAIMBOT_INDEX_DIR": str(index_dir(engine, size))}
    pinned = {} if args.all_cores else {"SCALE_ONE_CORE": "1"}

    def step(name: str, child_args: list[str], extra: dict[str, str] | None = None) -> dict[str, object]:
        print(f"#   {engine} {size}: {name} ...", flush=True)
        return run_child(child_args, env=files | (extra or {}))

    try:
        prof = PROFILES / f"import_{engine}_{size}.prof" if args.profile else None
        row["import"] = step("import", ["_import", url, str(corpus), str(size), str(prof or "")])
        if args.vectors != "none":
            row["vectors"] = step("vectors", ["_vectors", url, str(size), str(corpus), args.vectors])
        # No index files yet: the first worker reads every row once and writes them.
        row["first_start"] = step("first start", ["_start", url], MODES["default"])
        row["start"] = {mode: step(f"start {mode}", ["_start", url], env) for mode, env in MODES.items()}
        row["latency"] = {}
        for mode, env in MODES.items():
            prof = PROFILES / f"ask_{engine}_{size}_{mode}.prof" if args.profile else None
            row["latency"][mode] = step(
                f"latency {mode}",
                ["_latency", url, str(size), str(args.questions), str(prof or "")],
                env | pinned,
            )
        row["bm25s"] = step("bm25s", ["_bm25s", url, str(corpus), str(size), str(args.questions)], pinned)
        row["throughput"] = [
            run_throughput(url, size, w, args.duration, files | MODES["default"]) for w in worker_counts
        ]
        if engine == "postgres" and not args.no_fts:
            row["fts"] = step("fts", ["_fts", url, str(size), str(args.questions)])
    finally:
        if not args.keep:
            drop_database(engine, size, args.pg_url)
    return row


def child(argv: list[str]) -> int:
    phase, url, *rest = argv
    if phase == "_import":
        result = phase_import(url, Path(rest[0]), int(rest[1]), Path(rest[2]) if rest[2] else None)
    elif phase == "_latency":
        result = phase_latency(url, int(rest[0]), int(rest[1]), Path(rest[2]) if rest[2] else None)
    elif phase == "_throughput":
        result = phase_throughput(url, int(rest[0]), int(rest[1]), float(rest[2]))
    elif phase == "_vectors":
        if rest[2] == "encode":
            result = scale_index.encode_vectors(url)
        else:
            result = scale_index.phase_vectors(url, int(rest[0]), Path(rest[1]))
    elif phase == "_start":
        result = scale_index.phase_start(url)
    elif phase == "_bm25s":
        pin_one_core()
        size, count = int(rest[1]), int(rest[2])
        result = scale_index.phase_bm25s(Path(rest[0]), size, make_questions(size, count, SEED + size))
    elif phase == "_fts":
        result = phase_fts(url, int(rest[0]), int(rest[1]))
    else:
        raise SystemExit(f"unknown phase {phase}")
    print(json.dumps(result), flush=True)
    return 0


def _goal(ok: bool) -> str:
    return "ok" if ok else "MISS"


def print_table(rows: list[dict], worker_counts: list[int]) -> None:
    print("Start-up and memory (a worker's start on its index files, in a fresh process)")
    head = (
        f"{'engine':<9}{'size':>8} {'import/s':>9} {'vectors s':>10} {'1st start s':>12} {'files MB':>9} "
        f"{'ready lex s':>12} {'ready def s':>12} {'+model s':>9} "
        f"{'RSS lex':>8} {'RSS def':>8} {'HWM def':>8} "
        f"{'bm25s build/open s':>19} {'bm25s RSS':>10}"
    )
    print(head)
    print("-" * len(head))
    for row in rows:
        first, start, lat, b = row["first_start"], row["start"], row["latency"], row["bm25s"]
        vectors = row.get("vectors", {}).get("seconds", float("nan"))
        print(
            f"{row['engine']:<9}{row['size']:>8} {row['import']['rate']:>9.0f} {vectors:>10.0f} "
            f"{first['ready_s']:>12.1f} {first['files_mb']:>9.0f} {start['lexical']['ready_s']:>12.2f} "
            f"{start['default']['ready_s']:>12.2f} {start['default']['with_model_s']:>9.2f} "
            f"{lat['lexical']['rss_after']:>8.0f} {lat['default']['rss_after']:>8.0f} "
            f"{lat['default']['hwm']:>8.0f} "
            f"{b['build_s']:>11.1f}/{b['open_s']:<7.2f} {b['VmRSS'] - b['rss_before']:>10.0f}"
        )
    qps_heads = "".join(f" {f'qps {w}w':>8}" for w in worker_counts)
    print(
        "\nPer question, ms (one core unless --all-cores; match = Matcher.match, question encoding included)"
    )
    head = (
        f"{'engine':<9}{'size':>8} {'bm25s p50/p99':>14} {'lex match p50/p99':>18} {'cpu p99':>8} "
        f"{'def match p50/p99':>18} {'cpu p99':>8} {'ask lex p50/p99':>16} {'ask def p50/p99':>16}{qps_heads}"
        "  top1 paraphrase bm25s/lex/def"
    )
    print(head)
    print("-" * len(head))
    for row in rows:
        lex, dfl, b = row["latency"]["lexical"], row["latency"]["default"], row["bm25s"]
        qps = "".join(f" {t['qps']:>8.1f}" for t in row["throughput"])
        print(
            f"{row['engine']:<9}{row['size']:>8} {b['p50']:>6.2f}/{b['p99']:<7.2f} "
            f"{lex['match_p50']:>8.2f}/{lex['match_p99']:<9.2f} {lex['match_cpu_p99']:>8.2f} "
            f"{dfl['match_p50']:>8.2f}/{dfl['match_p99']:<9.2f} {dfl['match_cpu_p99']:>8.2f} "
            f"{lex['p50']:>7.1f}/{lex['p99']:<8.1f} {dfl['p50']:>7.1f}/{dfl['p99']:<8.1f}{qps}  "
            f"{b['top1_paraphrase']:.0%}/{lex['top1_paraphrase']:.0%}/{dfl['top1_paraphrase']:.0%}"
        )
    fts_rows = [r for r in rows if "fts" in r]
    if fts_rows:
        print(
            "\nCandidate retrieval experiment (PostgreSQL; not wired into the product): top 50, paraphrases, "
            f"{FTS_QUESTIONS} questions, queries over {FTS_TIMEOUT_MS} ms cancelled and counted as misses"
        )
        head = (
            f"{'size':>8} {'mem BM25 p50/p99 ms':>20} {'recall':>7} {'PG FTS p50/p99 ms':>18} {'recall':>7} "
            f"{'pg_trgm p50/p99 ms':>19} {'recall':>7} {'GIN build s (fts/trgm)':>23} {'idx MB':>7}"
        )
        print(head)
        print("-" * len(head))
        for row in fts_rows:
            lat, fts = row["latency"]["lexical"], row["fts"]
            print(
                f"{row['size']:>8} {lat['bm25_p50']:>9.1f}/{lat['bm25_p99']:<10.1f} "
                f"{lat['bm25_recall50']:>7.0%} "
                f"{fts['fts']['p50']:>8.1f}/{fts['fts']['p99']:<9.1f} {fts['fts']['recall50']:>7.0%} "
                f"{fts['trgm']['p50']:>9.1f}/{fts['trgm']['p99']:<9.1f} {fts['trgm']['recall50']:>7.0%} "
                f"{fts['gin_seconds']:>11.1f}/{fts['trgm_seconds']:<11.1f} {fts['index_mb']:>7.0f}"
            )
    print("\nGoals")
    for row in rows:
        lex, dfl, b = row["latency"]["lexical"], row["latency"]["default"], row["bm25s"]
        tp = row["throughput"]
        rising = len(tp) < 2 or tp[-1]["qps"] > tp[0]["qps"] * 1.1
        ready = row["start"]["default"]["with_model_s"]
        checks = [
            f"import {row['import']['rate']:.0f}/s >= {GOAL_IMPORT_RATE:.0f}: "
            f"{_goal(row['import']['rate'] >= GOAL_IMPORT_RATE)}",
            f"ready {ready:.2f} s <= {GOAL_READY_S:.0f}: {_goal(ready <= GOAL_READY_S)}",
            f"RSS {dfl['hwm']:.0f} MB (peak, vectors) <= {GOAL_RSS_MB:.0f}: "
            f"{_goal(dfl['hwm'] <= GOAL_RSS_MB)}",
            f"qps rises with 2nd worker: {_goal(rising)}",
        ]
        if row["size"] >= 300_000:
            for name, lat, goal in (
                ("lexical", lex, GOAL_LEXICAL_VS_BM25S),
                ("default", dfl, GOAL_DEFAULT_VS_BM25S),
            ):
                ratio_50, ratio_99 = lat["match_p50"] / b["p50"], lat["match_p99"] / b["p99"]
                checks.append(
                    f"{name} / bm25s p50 {ratio_50:.1f}x p99 {ratio_99:.1f}x <= {goal:.0f}x: "
                    f"{_goal(max(ratio_50, ratio_99) <= goal)}"
                )
        print(f"  {row['engine']:<9}{row['size']:>8}: " + "; ".join(checks))


if __name__ == "__main__":
    sys.exit(main())
