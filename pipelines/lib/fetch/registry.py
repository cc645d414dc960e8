"""The source registry: which sites `gongkai fetch` visits (data/sources.yaml, or --sources FILE)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yaml

DEFAULT_MAX_PAGES = 20


class RegistryError(ValueError):
    """The sources file cannot be used; the message names the entry and what is wrong with it."""


@dataclass(frozen=True)
class Source:
    name: str  # the publisher, free text
    url: str  # a listing page (e.g. the 政府信息公开年报 column) or a single report page
    max_pages: int = DEFAULT_MAX_PAGES  # listing pages followed through the pagination, at most
    region: str | None = None

    @property
    def netloc(self) -> str:
        return urlsplit(self.url).netloc.lower()


def load_sources(path: Path) -> list[Source]:
    """The entries of a sources file. A missing file, an empty one or one with only comments has none."""
    if not path.exists():
        return []
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise RegistryError(f"{path}: not valid YAML ({e})") from e
    if doc is None:
        return []
    if isinstance(doc, dict) and "sources" in doc:  # `sources:` as a top-level key is accepted too
        doc = doc["sources"] or []
    if not isinstance(doc, list):
        raise RegistryError(f"{path}: expected a list of entries (each with name and url)")
    return [_entry(path, i, item) for i, item in enumerate(doc, start=1)]


def _entry(path: Path, i: int, item: object) -> Source:
    where = f"{path}: entry {i}"
    if not isinstance(item, dict):
        raise RegistryError(f"{where}: expected a mapping with name and url, got {item!r}")
    unknown = set(item) - {"name", "url", "max_pages", "region"}
    if unknown:
        raise RegistryError(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    name, url = item.get("name"), item.get("url")
    if not isinstance(name, str) or not name.strip():
        raise RegistryError(f"{where}: `name` (the publisher) is required")
    if not isinstance(url, str) or urlsplit(url.strip()).scheme not in ("http", "https") \
            or not urlsplit(url.strip()).netloc:
        raise RegistryError(f"{where} ({name}): `url` must be an http(s) address, got {url!r}")
    max_pages = item.get("max_pages", DEFAULT_MAX_PAGES)
    if not isinstance(max_pages, int) or isinstance(max_pages, bool) or max_pages < 1:
        raise RegistryError(f"{where} ({name}): `max_pages` must be a whole number of at least 1")
    region = item.get("region")
    if region is not None and not isinstance(region, str):
        raise RegistryError(f"{where} ({name}): `region` must be text")
    return Source(name=name.strip(), url=url.strip(), max_pages=max_pages, region=region)
