"""Checks of the bioS attribute pools and sentence templates (phys.science.data.pools)."""

from __future__ import annotations

import collections
import re
from importlib import resources

import pytest

from phys.science.data.pools import ATTRIBUTES, load_pools, load_templates

NAME_RE = re.compile(r"^[A-Z][a-z]+$")
US_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO "
    "MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY".split()
)
CITY_RE = re.compile(r"^[A-Z][A-Za-z' -]*[a-z], (?P<state>[A-Z]{2})$")

POOL_FILES = (
    "first_names.txt",
    "middle_names.txt",
    "last_names.txt",
    "cities.txt",
    "universities.txt",
    "majors.txt",
    "companies.txt",
)
TEMPLATE_COUNTS = {
    "birth_date": 46,
    "birth_city": 49,
    "university": 49,
    "major": 52,
    "employer": 47,
    "employer_city": 48,
}
ALLOWED_PLACEHOLDERS = frozenset({"name", "value", "their"})


def _raw(subdir: str, filename: str) -> str:
    return resources.files("phys.science.data").joinpath(subdir, filename).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("subdir", "filename"),
    [("pools", f) for f in POOL_FILES] + [("templates", f"{a}.txt") for a in ATTRIBUTES],
)
def test_raw_file_format(subdir: str, filename: str) -> None:
    text = _raw(subdir, filename)
    assert text.isascii(), f"{filename}: non-ASCII characters"
    assert text.endswith("\n") and not text.endswith("\n\n"), f"{filename}: trailing newline"
    for i, line in enumerate(text.split("\n")[:-1], start=1):
        assert line, f"{filename}:{i}: blank line"
        assert line == line.strip(), f"{filename}:{i}: leading/trailing whitespace"
        assert "  " not in line and "\t" not in line, f"{filename}:{i}: double space or tab"


def _check_unique(entries: tuple[str, ...]) -> None:
    dups = [e for e, c in collections.Counter(entries).items() if c > 1]
    assert not dups, f"duplicates: {dups}"


@pytest.mark.parametrize(
    ("field", "count"),
    [("first_names", 400), ("middle_names", 400), ("last_names", 1000)],
)
def test_name_pools(field: str, count: int) -> None:
    names = getattr(load_pools(), field)
    assert len(names) == count
    _check_unique(names)
    bad = [n for n in names if not NAME_RE.match(n)]
    assert not bad, f"names not matching {NAME_RE.pattern}: {bad}"


def test_name_pools_disjoint() -> None:
    p = load_pools()
    first, middle, last = set(p.first_names), set(p.middle_names), set(p.last_names)
    assert not first & middle
    assert not first & last
    assert not middle & last


def test_cities() -> None:
    cities = load_pools().cities
    assert len(cities) == 200
    _check_unique(cities)
    for city in cities:
        m = CITY_RE.match(city)
        assert m, f"bad city format: {city!r}"
        assert m["state"] in US_STATES, f"bad state code: {city!r}"
        assert "." not in city and ";" not in city


def test_universities() -> None:
    unis = load_pools().universities
    assert len(unis) == 300
    _check_unique(unis)
    for uni in unis:
        assert "." not in uni and ";" not in uni, uni
        assert uni[0].isupper(), uni


def test_majors() -> None:
    majors = load_pools().majors
    assert len(majors) == 100
    _check_unique(majors)
    assert majors[0] == "Computer Science"
    assert majors[28] == "Communications"
    assert majors[99] == "Music"
    for major in majors:
        assert "." not in major and ";" not in major, major


def test_companies() -> None:
    companies = load_pools().companies
    assert len(companies) == 263
    names = tuple(name for name, _ in companies)
    _check_unique(names)
    for name, hq in companies:
        assert name and "." not in name and ";" not in name, name
        m = CITY_RE.match(hq)
        assert m and m["state"] in US_STATES, f"bad HQ city for {name}: {hq!r}"
        assert "." not in hq
    hq_counts = collections.Counter(hq for _, hq in companies)
    assert hq_counts["New York, NY"] == 36  # paper's 13.7% majority baseline
    assert hq_counts.most_common(1)[0] == ("New York, NY", 36)
    assert all(c <= 20 for hq, c in hq_counts.items() if hq != "New York, NY")


def test_no_value_is_prefix_of_another() -> None:
    """Keeps exact-match / first-token evaluation of attribute values unambiguous."""
    p = load_pools()
    for pool in (p.cities, p.universities, p.majors, tuple(n for n, _ in p.companies)):
        values = sorted(pool)
        for a, b in zip(values, values[1:]):
            assert not b.startswith(a + " ") and not b.startswith(a + ","), (a, b)


def test_load_pools_is_cached() -> None:
    assert load_pools() is load_pools()
    assert load_templates() is load_templates()


def test_template_pool_sizes() -> None:
    templates = load_templates()
    assert tuple(templates) == ATTRIBUTES
    for attr, count in TEMPLATE_COUNTS.items():
        assert len(templates[attr]) == count, attr
        _check_unique(templates[attr])


@pytest.mark.parametrize("attr", ATTRIBUTES)
def test_template_rules(attr: str) -> None:
    for t in load_templates()[attr]:
        assert t.startswith("{name} "), t
        assert not t.startswith("{name}'"), t  # "He's birthday" would be wrong
        assert t.count("{value}") == 1, t
        assert set(re.findall(r"\{(\w*)\}", t)) <= ALLOWED_PLACEHOLDERS, t
        assert t.count("{") == t.count("}") == len(re.findall(r"\{\w+\}", t)), t
        assert t.endswith("."), t
        assert t.count(".") == 1, t  # exactly one sentence
        assert re.search(r"\{value\}(\.|,| [A-Za-z{])", t), t
        lowered = f" {t.lower()} "
        for word in ("they", "their", "them", "theirs", "themselves"):
            assert not re.search(rf"[^a-z{{]{word}[^a-z}}]", lowered), (word, t)
        assert "  " not in t and t.isascii(), t


@pytest.mark.parametrize("attr", ATTRIBUTES)
@pytest.mark.parametrize(("subject", "possessive"), [("He", "his"), ("She", "her")])
def test_templates_format_with_pronouns(attr: str, subject: str, possessive: str) -> None:
    for t in load_templates()[attr]:
        s = t.format(name=subject, value="VALUE", their=possessive)
        assert s.startswith(f"{subject} ") and s.count("VALUE") == 1, s
        assert "{" not in s and "}" not in s, s
