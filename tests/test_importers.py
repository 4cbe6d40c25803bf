"""Importers: every format to records, every bad record to an error with its line, nothing invented."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from bot.domain import FactCheckRecord, RecordError, Verdict
from bot.importers import FORMATS, detect_format, read_records, starter_path
from bot.importers.report import derive_verdict, parse_report, summary_sentences
from tests.conftest import CHECKTHAT

DATA = Path(__file__).parent / "data" / "importers"
SEED = DATA / "seed_report.txt"  # the seed report (seeds/000_145bb1abe3826062.txt), unchanged
VCLAIMS = CHECKTHAT / "vclaims.jsonl"


def split(items) -> tuple[list[FactCheckRecord], list[RecordError]]:
    items = list(items)
    records = [i for i in items if isinstance(i, FactCheckRecord)]
    errors = [i for i in items if isinstance(i, RecordError)]
    assert len(records) + len(errors) == len(items)
    return records, errors


def by_url(records: list[FactCheckRecord]) -> dict[str, FactCheckRecord]:
    return {r.url: r for r in records}


# --- report format ---------------------------------------------------------------------------------
def test_seed_report_parses_to_one_record():
    records, errors = split(read_records(SEED))
    assert errors == []
    [record] = records
    assert record.claim == "Did a NYC cop arrest an ice agent"
    assert record.title == record.claim
    assert record.url == "report:did-a-nyc-cop-arrest-an-ice-agent"
    assert record.checked_at == date(2026, 2, 2)
    assert record.disclaimer.startswith("Factually can make mistakes.")
    assert record.publisher == "Factually"
    assert record.summary.startswith("No credible reporting or official record shows a New York City police")
    assert "[" not in record.summary and "AFP," in record.summary
    assert record.body is not None and "5. Alternative explanations and remaining gaps" in record.body
    assert record.line == 1


def test_seed_report_derived_verdict_is_false_and_unconfirmed():
    [record] = list(read_records(SEED))
    assert record.verdict is Verdict.FALSE
    assert record.rating_confirmed is False
    assert record.rating_text == ""


def test_seed_report_sources_follow_ups_and_sections():
    [record] = list(read_records(SEED))
    outlets = {s.position: s.outlet for s in record.sources}
    assert outlets == {
        1: "AFP",
        2: "The City",
        3: "Department of Investigation",
        4: "Source [4]",
        5: "Source [5]",
    }
    assert all(s.url is None for s in record.sources), "a URL was invented"
    assert record.follow_ups == [
        "How did fact-checkers determine the NYPD–ICE arrest video was AI-generated?",
        "What official reports exist documenting NYPD interactions with ICE during the Canal Street "
        "protests?",
        "How have sanctuary city policies affected NYPD responses to federal immigration operations?",
    ]
    lines = list(enumerate(SEED.read_text(encoding="utf-8").splitlines(), start=1))
    parsed = parse_report(lines)
    assert [s.number for s in parsed.sections] == [1, 2, 3, 4, 5, 6]
    assert parsed.sections[0].heading == "What the viral clip actually was"
    assert parsed.sections[5].text.startswith("Given the rise of AI-generated video")


def test_report_verdict_sources_url_publisher_and_separator():
    records, errors = split(read_records(DATA / "report_with_verdict.txt"))
    assert errors == []
    first, second = records
    assert first.url == "https://example.org/fact-checks/eiffel-summer"
    assert first.publisher == "Example Checks"
    assert first.checked_at == date(2025, 3, 3)
    assert (first.verdict, first.rating_text) == (Verdict.MOSTLY_TRUE, "Mostly true")
    assert first.rating_confirmed is True
    assert [(s.position, s.outlet, s.url) for s in first.sources] == [
        (1, "Official Eiffel Tower website", "https://example.org/eiffel"),
        (2, "Reuters", "https://example.org/reuters-eiffel"),
    ]
    # Short first sentence: the second one joins it; the third does not.
    assert first.summary == (
        "The tower's iron expands in heat, so it grows by up to about 15 cm on hot days. "
        "Engineers have measured this for decades."
    )
    assert first.follow_ups == ["How much does steel expand per degree?"]
    # The second report: inline "Summary:", an abbreviation that must not end a sentence, derived verdict.
    assert second.claim == "Did the U.S. Senate vote on the bill yesterday?"
    assert second.url == "report:did-the-u-s-senate-vote-on-the-bill-yesterday"
    assert second.line == 23
    assert second.checked_at == date(2026, 1, 5)
    assert (second.verdict, second.rating_confirmed) == (Verdict.UNPROVEN, False)
    assert [(s.position, s.outlet, s.url) for s in second.sources] == [(1, "Source [1]", None)]


def test_report_errors_name_the_line(tmp_path: Path):
    path = tmp_path / "bad.txt"
    path.write_text(
        "Is water wet?\nChecked on 2024-01-01\n\nExecutive summary\n\n---\n\n"
        "Was it sunny?\nVerdict: Sort of maybe\nExecutive summary\nIt was sunny.\n---\n"
        "Was it rainy?\nChecked on Febtember 40, 2020\nSummary: It was not.\n",
        encoding="utf-8",
    )
    records, errors = split(read_records(path))
    assert records == []
    found = [(e.line, e.message.split(" ")[0]) for e in errors]
    assert found == [(4, "report"), (9, "unknown"), (14, "cannot")]
    assert "no executive summary" in errors[0].message


def test_report_empty_file_is_an_error(tmp_path: Path):
    path = tmp_path / "empty.txt"
    path.write_text("\n\n", encoding="utf-8")
    records, errors = split(read_records(path))
    assert records == [] and len(errors) == 1 and errors[0].line == 1


@pytest.mark.parametrize(
    ("summary", "verdict"),
    [
        ("The photo was doctored.", Verdict.FALSE),
        ("The claim is misleading: the figure is real but old.", Verdict.MISLEADING),
        ("The quote is taken out of context.", Verdict.MISSING_CONTEXT),
        ("The figure is mostly false.", Verdict.MOSTLY_FALSE),
        ("The report could not be confirmed by officials.", Verdict.UNPROVEN),
        ("Officials confirmed the closure [1].", Verdict.TRUE),
        ("Reporting on the event is thin.", Verdict.UNPROVEN),
    ],
)
def test_derive_verdict_rule(summary: str, verdict: Verdict):
    assert derive_verdict(summary) is verdict


def test_summary_keeps_at_most_two_sentences():
    text = "Short one [1]. Second one here [2]. Third one."
    assert summary_sentences(text) == "Short one. Second one here."
    long_first = "A" * 200 + " ends here. Second."
    assert summary_sentences(long_first) == "A" * 200 + " ends here."


# --- ClaimReview ---------------------------------------------------------------------------------
def test_claimreview_single_object():
    [record] = list(read_records(DATA / "claimreview_single.json"))
    assert isinstance(record, FactCheckRecord)
    assert record.url == "https://example.org/fc/5g"
    assert record.claim == "5G towers spread the coronavirus"
    assert record.title == "No, 5G does not spread COVID-19"
    assert (record.verdict, record.rating_text) == (Verdict.FALSE, "Pants on Fire!")
    assert record.rating_confirmed is True
    assert record.summary == "Radio waves cannot carry viruses."
    assert record.publisher == "Example Checks"
    assert record.checked_at == date(2020, 4, 6)
    assert record.language == "en-gb"
    assert [(s.position, s.outlet, s.url) for s in record.sources] == [
        (1, "WHO", "https://www.who.int/"),
        (2, "AFP", None),
        (3, "Reuters", "https://www.reuters.com/article/x"),
        (4, "social.example.com", "https://social.example.com/post/1"),
    ]


def test_claimreview_graph_nested_lists_and_numeric_rating():
    records, errors = split(read_records(DATA / "claimreview_graph.jsonld"))
    assert errors == []
    found = by_url(records)
    assert set(found) == {"https://example.org/fc/moon", "https://example.org/fc/eiffel"}
    moon = found["https://example.org/fc/moon"]
    assert moon.verdict is Verdict.FALSE  # 2 on a 1..10 scale
    assert moon.rating_text == "2 of 10"
    assert moon.title == "Moon landing hoax"
    assert moon.summary == "Rated “2 of 10” by Example Checks."
    eiffel = found["https://example.org/fc/eiffel"]
    assert (eiffel.verdict, eiffel.rating_text, eiffel.publisher) == (Verdict.TRUE, "Correct", "Other Checks")
    assert eiffel.checked_at is None


def test_claimreview_list_missing_fields_are_errors_with_lines():
    records, errors = split(read_records(DATA / "claimreview_list.json"))
    assert [r.url for r in records] == ["https://example.org/fc/1", "https://example.org/fc/4"]
    assert [r.line for r in records] == [2, 18]
    assert [(e.line, e.message) for e in errors] == [
        (8, "ClaimReview lacks url"),
        (13, "ClaimReview lacks claimReviewed (url https://example.org/fc/3)"),
    ]


def test_claimreview_jsonl_bad_lines_reported_rest_imported():
    records, errors = split(read_records(DATA / "claimreview_lines.jsonl"))
    found = [(r.url, r.line) for r in records]
    assert found == [("https://example.org/l/1", 1), ("https://example.org/l/4", 4)]
    assert records[1].verdict is Verdict.MOSTLY_FALSE
    assert [e.line for e in errors] == [3, 5, 6]
    assert "invalid JSON" in errors[0].message
    assert "no ClaimReview" in errors[1].message
    assert "datePublished" in errors[2].message


def test_truncated_json_is_one_error_with_position():
    items = list(read_records(DATA / "truncated.json"))
    assert len(items) == 1
    [error] = items
    assert isinstance(error, RecordError)
    assert error.line == 4
    assert "line 4 column" in error.message


def test_claimreview_json_lines_detected_without_jsonl_suffix(tmp_path: Path):
    path = tmp_path / "reviews.json"
    path.write_bytes((DATA / "claimreview_lines.jsonl").read_bytes())
    records, errors = split(read_records(path))
    assert len(records) == 2 and len(errors) == 3


def test_fact_check_tools_api_shape(tmp_path: Path):
    path = tmp_path / "api.json"
    path.write_text(
        json.dumps(
            {
                "claims": [
                    {
                        "text": "A claim",
                        "claimant": "Someone",
                        "claimReview": [
                            {
                                "publisher": {"name": "Checker", "site": "checker.example"},
                                "url": "https://checker.example/a",
                                "title": "A title",
                                "reviewDate": "2024-05-01T00:00:00Z",
                                "textualRating": "Four Pinocchios",
                                "languageCode": "en",
                            }
                        ],
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    [record] = list(read_records(path))
    assert isinstance(record, FactCheckRecord)
    assert (record.url, record.claim, record.verdict, record.rating_text, record.publisher) == (
        "https://checker.example/a",
        "A claim",
        Verdict.FALSE,
        "Four Pinocchios",
        "Checker",
    )
    assert record.checked_at == date(2024, 5, 1)


# --- CSV ---------------------------------------------------------------------------------------------
def test_csv_good_rows():
    records, errors = split(read_records(DATA / "factchecks.csv"))
    assert errors == []
    first, second = records
    assert (first.url, first.claim, first.verdict, first.rating_text) == (
        "https://example.org/csv/1",
        "5G spreads COVID-19",
        Verdict.FALSE,
        "False",
    )
    assert first.checked_at == date(2020, 4, 6)
    assert [(s.outlet, s.url) for s in first.sources] == [
        ("WHO", "https://www.who.int/"),
        ("Reuters", "https://www.reuters.com/article/x"),
    ]
    assert second.claim == 'A claim, with a comma and "quotes"'
    assert second.summary == "A summary\nover two lines."
    assert second.line == 3
    assert second.checked_at == date(2025, 3, 3)
    assert second.publisher == "example.org"  # none given: named from the URL's host
    assert [(s.position, s.outlet, s.url) for s in second.sources] == [
        (1, "AFP", "https://example.org/afp"),
        (2, "The City", None),
    ]


def test_csv_wrong_header_imports_nothing():
    items = list(read_records(DATA / "wrong_header.csv"))
    assert len(items) == 1
    [error] = items
    assert isinstance(error, RecordError) and error.line == 1
    assert "url" in error.message and "claim" in error.message and "rating, summary" in error.message


def test_csv_bad_rows_reported_with_lines():
    records, errors = split(read_records(DATA / "bad_rows.csv"))
    assert [r.url for r in records] == ["https://example.org/csv/ok", "https://example.org/csv/ok2"]
    assert [r.line for r in records] == [2, 7]
    assert [(e.line, e.message) for e in errors] == [
        (3, "url is empty"),
        (4, "unknown rating 'Four stars maybe'"),
        (5, "expected 7 fields, found 3"),
        (6, "cannot read the date '31 Febtember 2020'"),
    ]


# --- CheckThat! ------------------------------------------------------------------------------------
def test_checkthat_small_file():
    records, errors = split(read_records(DATA / "vclaims_small.jsonl"))
    assert [(e.line, e.message) for e in errors] == [(4, "vclaim lacks vclaim")]
    fries, snake, other = records
    assert fries.url == "checkthat:vclaim-sno-example-fries"
    assert fries.summary == "A burger chain is offering fries of any size for $1."
    assert (fries.verdict, fries.rating_text, fries.rating_confirmed) == (Verdict.UNRATED, "Unrated", True)
    assert (fries.publisher, fries.author, fries.checked_at) == ("Snopes", "A. Writer", date(2015, 5, 26))
    assert snake.url == "https://www.snopes.com/fact-check/example-snake/"
    assert snake.summary == "the snake is ten metres long."
    assert (other.publisher, other.title, other.checked_at) == ("C. Writer", other.claim, None)


def test_checkthat_full_data_set():
    # How fast it imports is measured by benchmarks/scale.py (import /s), not asserted here.
    assert detect_format(VCLAIMS) == "checkthat"
    records, errors = split(read_records(VCLAIMS))
    assert errors == []
    assert len(records) == 14231
    with_page = [r for r in records if r.url.startswith("https://www.snopes.com/")]
    assert len(with_page) == 2266
    assert all(r.url.startswith(("https://", "checkthat:vclaim-sno-")) for r in records)
    assert len({r.url for r in records}) == 14231


# --- detection, encoding, hostile text --------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("seed_report.txt", "report"),
        ("factchecks.csv", "csv"),
        ("claimreview_single.json", "claimreview"),
        ("claimreview_graph.jsonld", "claimreview"),
        ("claimreview_lines.jsonl", "claimreview"),
        ("vclaims_small.jsonl", "checkthat"),
    ],
)
def test_detect_format(name: str, fmt: str):
    assert detect_format(DATA / name) == fmt


def test_detect_format_by_content_without_extension(tmp_path: Path):
    cases = {
        "a": b'{"vclaim_id": "x", "vclaim": "y"}\n',
        "b": b"[{}]",
        "c": b"url,claim,rating\n",
        "d": b"Is it true?\n",
    }
    found = {}
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
        found[name] = detect_format(tmp_path / name)
    assert found == {"a": "checkthat", "b": "claimreview", "c": "csv", "d": "report"}


def test_missing_file_and_unknown_format(tmp_path: Path):
    with pytest.raises(FileNotFoundError):
        read_records(tmp_path / "nope.json")  # raised at the call, not on iteration
    with pytest.raises(ValueError):
        read_records(SEED, fmt="yaml")
    assert set(FORMATS) == {"report", "claimreview", "csv", "checkthat"}
    # An alias and a forced format both work.
    assert isinstance(next(iter(read_records(SEED, fmt="txt"))), FactCheckRecord)


def test_invalid_utf8_is_an_error_per_line_not_a_crash(tmp_path: Path):
    good = (
        '{"@type": "ClaimReview", "url": "https://e.org/%d", "claimReviewed": "ok", '
        '"reviewRating": {"alternateName": "False"}}\n'
    )
    path = tmp_path / "mixed.jsonl"
    path.write_bytes((good % 1).encode() + b'{"claimReviewed": "\xff\xfe bad"}\n' + (good % 3).encode())
    records, errors = split(read_records(path))
    assert [r.url for r in records] == ["https://e.org/1", "https://e.org/3"]
    assert [(e.line, "UTF-8" in e.message) for e in errors] == [(2, True)]

    csv_path = tmp_path / "bad.csv"
    csv_path.write_bytes(
        b"url,claim,rating\nhttps://e.org/a,ok,False\nhttps://e.org/b,caf\xe9,False\n"
        b"https://e.org/c,fine,True\n"
    )
    records, errors = split(read_records(csv_path))
    assert [r.url for r in records] == ["https://e.org/a", "https://e.org/c"]
    assert [e.line for e in errors] == [3]

    report = tmp_path / "bad.txt"
    report.write_bytes(b"Question?\nExecutive summary\nIt is \xc3(false.\n")
    assert [(type(i).__name__, i.line) for i in read_records(report)] == [("RecordError", 3)]

    whole = tmp_path / "whole.json"
    whole.write_bytes(b'{\n"url": "https://e.org/x",\n"claimReviewed": "\xff"}')
    [error] = list(read_records(whole))
    assert isinstance(error, RecordError) and error.line == 3


HOSTILE = [
    "Is it true that 🧪💉 vaccines 🚫 work?",
    "هل صحيح أن الأرض مسطحة؟",
    "<b>bold</b> <script>alert(1)</script> *stars* _under_ [link](http://x) @everyone",
    "Robert'); DROP TABLE factcheck;-- \" OR 1=1",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_kept_literally_in_every_format(tmp_path: Path, text: str):
    review = {
        "@type": "ClaimReview",
        "url": "https://e.org/h",
        "claimReviewed": text,
        "description": text,
        "reviewRating": {"alternateName": "False"},
    }
    (tmp_path / "h.jsonl").write_text(json.dumps(review, ensure_ascii=False) + "\n", encoding="utf-8")
    (tmp_path / "h.csv").write_text(
        'url,claim,rating,summary\nhttps://e.org/h,"{0}",False,"{0}"\n'.format(text.replace('"', '""')),
        encoding="utf-8",
    )
    (tmp_path / "h.txt").write_text(f"{text}\n\nExecutive summary\n\n{text} is false.\n", encoding="utf-8")
    for name in ("h.jsonl", "h.csv", "h.txt"):
        [record] = list(read_records(tmp_path / name))
        assert isinstance(record, FactCheckRecord), (name, record)
        assert record.claim == text
        assert text in record.summary


def test_report_slug_keeps_non_latin_letters(tmp_path: Path):
    path = tmp_path / "ar.txt"
    path.write_text("هل صحيح أن الأرض مسطحة؟\n\nExecutive summary\n\nلا.\n", encoding="utf-8")
    [record] = list(read_records(path))
    assert record.url == "report:هل-صحيح-أن-الأرض-مسطحة"


# --- bundled starter set ----------------------------------------------------------------------------
def test_starter_file_parses_cleanly_and_holds_the_seed_verdict():
    path = starter_path()
    assert path.is_file()
    records, errors = split(read_records(path))
    assert errors == []
    assert 12 <= len(records) <= 20
    assert len({r.url for r in records}) == len(records)
    assert all(r.url.startswith("claimbot:starter/") for r in records)
    assert all(r.summary and r.checked_at and r.sources and r.rating_confirmed for r in records)
    nyc = by_url(records)["claimbot:starter/nyc-police-officer-arrested-ice-agent"]
    assert nyc.claim == "A New York City police officer arrested an ICE agent"
    assert (nyc.verdict, nyc.rating_text, nyc.checked_at) == (Verdict.FALSE, "False", date(2026, 2, 2))
    assert [s.outlet for s in nyc.sources][:2] == ["AFP", "The City"]
    assert all(s.url is None for s in nyc.sources)
    # Only stable top-level pages of public bodies carry a URL; no deep link is guessed.
    urls = {s.url for r in records for s in r.sources if s.url}
    assert urls <= {
        "https://www.who.int/",
        "https://www.cdc.gov/",
        "https://www.nasa.gov/",
        "https://www.fda.gov/",
    }


# --- hostile files: nothing crashes an import, nothing outside the review workflow writes a verdict ---
def review_json(url: str, claim: str = "Cats can fly", **extra: object) -> str:
    node = {
        "@type": "ClaimReview",
        "url": url,
        "claimReviewed": claim,
        "reviewRating": {"alternateName": "False"},
    } | extra
    return json.dumps(node)  # control characters and surrogates travel as \u escapes


DEEP_LIST = "[" * 100_000 + "]" * 100_000
DEEP_OBJECT = '{"a": ' * 100_000 + "1" + "}" * 100_000
HUGE_NUMBER = review_json("https://e.org/n")[:-1] + ', "ratingValue": ' + "9" * 1_000_000 + "}"
# The first "url" passes a glance; json.loads keeps the last one.
SMUGGLED_URL = review_json("https://e.org/smuggled")[:-1] + ', "url": "review:default:1"}'


def test_hostile_json_lines_are_errors_with_their_line_and_later_lines_still_import(tmp_path: Path):
    path = tmp_path / "hostile.jsonl"
    lines = [
        review_json("https://e.org/1"),
        DEEP_LIST,
        DEEP_OBJECT,
        HUGE_NUMBER,
        SMUGGLED_URL,
        review_json("https://e.org/6"),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    records, errors = split(read_records(path))
    assert [r.url for r in records] == ["https://e.org/1", "https://e.org/6"]
    assert [e.line for e in errors] == [2, 3, 4, 5]
    assert "nested too deeply" in errors[0].message and "nested too deeply" in errors[1].message
    assert "digits" in errors[2].message
    assert "duplicate key 'url'" in errors[3].message
    assert all(len(e.message) < 200 for e in errors)  # no million-digit echo


@pytest.mark.parametrize("hostile", [DEEP_LIST, DEEP_OBJECT, HUGE_NUMBER, SMUGGLED_URL])
def test_a_hostile_json_document_is_one_error_with_its_line(tmp_path: Path, hostile: str):
    path = tmp_path / "hostile.json"
    path.write_text("[\n" + review_json("https://e.org/1") + ",\n" + hostile + "\n]\n", encoding="utf-8")
    [error] = list(read_records(path))
    assert isinstance(error, RecordError) and error.line == 3, error
    vclaims = tmp_path / "vclaims.json"
    vclaims.write_text('[{"vclaim_id": "v1", "vclaim": "x"},\n' + hostile + "\n]\n", encoding="utf-8")
    [error] = list(read_records(vclaims, "checkthat"))
    assert isinstance(error, RecordError) and error.line == 2, error


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "review:default:1",  # the review workflow's verdicts
        "claimbot:starter/earth-is-flat",  # the bundled starter set's own keys
        "report:cats-can-fly",  # minted by the report importer, never taken from an input
        "checkthat:vclaim-1",
        "file:///etc/passwd",
        "ftp://e.org/x",
        "https://e.org/a\x00b",
    ],
)
def test_only_http_urls_key_what_an_input_names(tmp_path: Path, url: str):
    (tmp_path / "r.jsonl").write_text(review_json(url) + "\n", encoding="utf-8")
    (tmp_path / "r.csv").write_text(f'url,claim,rating\n"{url}",Cats can fly,False\n', encoding="utf-8")
    (tmp_path / "v.jsonl").write_text(
        json.dumps({"vclaim_id": "v1", "vclaim": "Cats can fly", "page_url": url}) + "\n", encoding="utf-8"
    )
    for name, line in (("r.jsonl", 1), ("r.csv", 2), ("v.jsonl", 1)):
        [item] = list(read_records(tmp_path / name))
        assert isinstance(item, RecordError), (name, item)
        assert (item.file, item.line) == (str(tmp_path / name), line)
        assert "http(s)" in item.message


@pytest.mark.parametrize(
    "citation",
    [
        {"@type": "CreativeWork", "name": "Evil", "url": "javascript:alert(1)"},
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        {"@type": "CreativeWork", "name": "Evil", "url": "vbscript:msgbox(1)"},
    ],
)
def test_a_source_link_that_is_not_http_refuses_the_record(tmp_path: Path, citation: object):
    path = tmp_path / "r.jsonl"
    path.write_text("\n" + review_json("https://e.org/1", citation=[citation]) + "\n", encoding="utf-8")
    [error] = list(read_records(path))
    assert isinstance(error, RecordError) and error.line == 2
    assert "source" in error.message and "http(s)" in error.message


def test_identifiers_that_are_not_links_are_no_source_url(tmp_path: Path):
    citations = [{"@id": "urn:isbn:9780000000000", "name": "A book"}, {"@id": "_:b0", "name": "AFP"}]
    path = tmp_path / "r.jsonl"
    path.write_text(review_json("https://e.org/1", citation=citations) + "\n", encoding="utf-8")
    [record] = list(read_records(path))
    assert isinstance(record, FactCheckRecord)
    assert [(s.outlet, s.url) for s in record.sources] == [("A book", None), ("AFP", None)]


def test_imported_text_is_cleaned_of_control_characters_like_questions(tmp_path: Path):
    path = tmp_path / "r.jsonl"
    path.write_text(
        review_json(
            "https://e.org/1",
            claim="Cats\x00 can\u202e fly\x07",
            headline="Cats\x1b[31m fly",
            description="First line\x00.\nSecond\u200b line.",
            publisher={"name": "Fact\x00 Desk"},
            reviewBody="Para one.\x00\n\nPara\x0b two.",
            citation=[{"name": "AFP\x00", "headline": "Title\ud800 here", "url": "https://afp.example/a"}],
        )
        + "\n",
        encoding="utf-8",
    )
    [record] = list(read_records(path))
    assert isinstance(record, FactCheckRecord)
    assert (record.claim, record.title, record.publisher) == ("Cats can fly", "Cats [31m fly", "Fact Desk")
    assert record.summary == "First line .\nSecond line."
    assert record.body == "Para one.\n\nPara two."
    assert [(s.outlet, s.title) for s in record.sources] == [("AFP", "Title here")]
    report = tmp_path / "r.txt"
    report.write_text(
        "Is it\x00 true?\n\nExecutive summary\n\nIt is\x00 false.\n\nWant to dive deeper?\nWhy\x00 not?\n",
        encoding="utf-8",
    )
    [record] = list(read_records(report))
    assert isinstance(record, FactCheckRecord)
    assert (record.claim, record.summary, record.follow_ups) == ("Is it true?", "It is false.", ["Why not?"])
    assert "\x00" not in (record.body or "")


def test_the_starter_set_keeps_its_own_keys():
    records, errors = split(read_records(starter_path()))
    assert errors == [] and all(r.url.startswith("claimbot:starter/") for r in records)


# --- importing into the store (both engines) -------------------------------------------------------------
def test_an_import_never_writes_a_moderators_verdict(service, tmp_path: Path):
    from sqlmodel import Session, select

    from bot.domain import Actor, Asker, ChatRef, Question
    from store import factchecks
    from store.models import Notification

    moderator = Actor("cli", "mod-ann")
    asked = service.ask(
        Question(
            "did the city of Springfield ban skateboards in 2026",
            Asker("telegram", "u1"),
            ChatRef("telegram", "chat-u1"),
            message_id="1",
        )
    )
    item_id = asked.review_item_id
    draft = service.write_verdict(
        moderator,
        item_id,
        "False",
        "Springfield passed no such ban.",
        ["https://springfield.example/council"],
    )
    verdict = service.approve(moderator, item_id, draft.revision).fact_check
    service.record_sent("telegram", "chat-u1", "2", verdict)
    assert verdict.url == f"review:default:{item_id}"

    feed = tmp_path / "feed.jsonl"
    overwrite = review_json(
        verdict.url, claim="Springfield banned skateboards in 2026", reviewRating={"alternateName": "True"}
    )
    smuggled = review_json("https://e.org/ok", claim="Springfield banned skateboards in 2026")[:-1]
    smuggled += f', "url": "{verdict.url}"}}'
    feed.write_text(
        "\n".join([overwrite, smuggled, review_json("https://e.org/good")]) + "\n", encoding="utf-8"
    )
    report = service.import_records(read_records(feed))
    assert (report.added, report.updated) == (1, 0)
    assert [(e.file, e.line) for e in report.errors] == [(str(feed), 1), (str(feed), 2)]

    # The same record handed to the service by any other path (a feed, the API client) is refused too.
    forged = FactCheckRecord(
        url=verdict.url,
        claim="Springfield banned skateboards",
        verdict=Verdict.TRUE,
        file="https://feed.example/x",
        line=7,
    )
    report = service.import_records([forged])
    assert (report.added, report.updated) == (0, 0)
    assert [(e.file, e.line) for e in report.errors] == [("https://feed.example/x", 7)]
    assert "review" in report.errors[0].message

    with Session(service.engine) as session:
        after = factchecks.get_card(session, verdict.id)
    assert after is not None
    assert (after.id, after.verdict, after.revision, after.origin) == (verdict.id, Verdict.FALSE, 1, "review")
    with Session(service.engine) as session:
        assert session.exec(select(Notification).where(Notification.kind == "edit")).all() == []


def test_a_reimport_edits_every_message_that_carried_a_changed_fact_check(service, tmp_path: Path):
    from sqlmodel import Session, col, select

    from store import factchecks
    from store.models import Notification

    urls = [f"https://e.org/revised/{n}" for n in range(3)]
    feed = tmp_path / "feed.jsonl"
    feed.write_text("\n".join(review_json(url, claim=f"Claim {n}") for n, url in enumerate(urls)) + "\n")
    assert service.import_records(read_records(feed)).added == 3
    with Session(service.engine) as session:
        cards = [factchecks.to_card(factchecks.find_by_url(session, url), []) for url in urls]
    service.record_sent("telegram", "chat-a", "1", cards[0])
    service.record_sent("telegram", "chat-b", "2", cards[0])
    service.record_sent("telegram", "chat-a", "3", cards[1])
    service.record_sent("telegram", "chat-c", "4", cards[2])

    # One batch: the first two changed, the third as it was.
    feed.write_text(
        "\n".join(
            review_json(url, claim=f"Claim {n}", description="Updated." if n < 2 else "")
            for n, url in enumerate(urls)
        )
        + "\n"
    )
    report = service.import_records(read_records(feed))
    assert (report.updated, report.skipped) == (2, 1)
    with Session(service.engine) as session:
        edits = session.exec(select(Notification).order_by(col(Notification.id))).all()
    assert [(e.kind, e.target, e.fact_check_id, e.revision) for e in edits] == [
        ("edit", "chat-a:1", cards[0].id, 2),
        ("edit", "chat-b:2", cards[0].id, 2),
        ("edit", "chat-a:3", cards[1].id, 2),
    ]


def test_an_import_skips_a_fact_check_the_review_workflow_owns(service, tmp_path: Path):
    from store import factchecks
    from store.db import session_scope

    url = "https://springfield.example/verdicts/skateboards"
    with session_scope(service.engine) as session:
        factchecks.upsert_record(
            session,
            FactCheckRecord(
                url=url, claim="Springfield banned skateboards", verdict=Verdict.FALSE, origin="review"
            ),
        )
    path = tmp_path / "checks.csv"
    path.write_text(
        f"url,claim,rating\n{url},Springfield banned skateboards,True\nhttps://e.org/2,x,False\n",
        encoding="utf-8",
    )
    report = service.import_records(read_records(path))
    assert (report.added, report.updated, report.skipped, report.errors) == (1, 0, 1, [])
    [notice] = report.notices
    assert (notice.file, notice.line) == (str(path), 2) and "review" in notice.message
    with session_scope(service.engine) as session:
        stored = factchecks.find_by_url(session, url)
        assert stored is not None and (stored.rating, stored.revision, stored.origin) == (
            "False",
            1,
            "review",
        )


def test_nul_bytes_and_oversized_fields_cost_no_other_record(service, tmp_path: Path):
    path = tmp_path / "feed.jsonl"
    lines = [
        review_json("https://e.org/1", claim="Penguins live at the North Pole"),
        review_json(
            "https://e.org/2",
            claim="Camels\x00 store water",
            description="In\x00 humps.",
            citation=[{"name": "AFP\x00", "url": "https://afp.example/c"}],
        ),
        review_json("https://e.org/3", inLanguage="x" * 40),
        review_json("https://e.org/\x00nul"),
        review_json("https://e.org/5", claim="Goldfish remember for three seconds"),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = service.import_records(read_records(path))
    assert report.added == 3
    assert [e.line for e in report.errors] == [3, 4]
    camels = service.search("camels store water")[0].fact_check
    assert (camels.url, camels.claim, camels.summary) == (
        "https://e.org/2",
        "Camels store water",
        "In humps.",
    )
    assert [s.outlet for s in camels.sources] == ["AFP"]
