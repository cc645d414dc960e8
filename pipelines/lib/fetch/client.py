"""A polite, careful HTTP client over httpx: robots.txt, a pause per host, timeouts, retries with backoff,
conditional requests, redirects only within the registry's hosts, size caps, and bytes checked against
what was announced. Every request it makes is reported (``on_request``) for the fetch log."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx
from protego import Protego

from pipelines.lib.fetch import content
from pipelines.lib.load.connection import now

USER_AGENT_TOKEN = "Gongkai"
USER_AGENT = (f"{USER_AGENT_TOKEN}/0.1 (open warehouse of government information-disclosure annual reports; "
              "fetches published reports politely and obeys robots.txt)")
MAX_REDIRECTS = 5
MAX_CRAWL_DELAY_S = 60.0  # a robots.txt Crawl-delay above this is treated as this (a run must end)


@dataclass(frozen=True)
class FetchPolicy:
    delay: float = 1.0  # seconds between two requests to the same host (robots.txt Crawl-delay may raise it)
    timeout: float = 30.0  # seconds for connecting and for each read
    retries: int = 2  # further attempts after a timeout, a connection error or a 5xx / 429
    backoff: float = 2.0  # seconds before the first retry; doubled for each further one
    max_bytes: int = 50 * 1024 * 1024  # largest attachment kept
    max_page_bytes: int = 10 * 1024 * 1024  # largest HTML page read
    user_agent: str = USER_AGENT


@dataclass(frozen=True)
class RequestRecord:
    """One request made (or refused before it was made: robots_disallowed, offsite_redirect)."""
    url: str
    status: str  # the HTTP status ('200', '304', '404') or an error code ('timeout', 'too_large', ...)
    bytes: int | None
    sha256: str | None
    fetched_at: object
    error: str | None
    sent: bool = True  # False: refused before it was made (robots.txt, a host outside the registry)


@dataclass
class Fetched:
    url: str  # where the body came from, after redirects
    status: str
    body: bytes | None = None
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    kind: str | None = None  # what the bytes are (content.sniff)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "200"

    @property
    def not_modified(self) -> bool:
        return self.status == "304"

    @property
    def disallowed(self) -> bool:
        return self.status == "robots_disallowed"


@dataclass(frozen=True)
class Validators:
    """What the server said last time, sent back so an unchanged resource costs a 304 and no body."""
    etag: str | None = None
    last_modified: str | None = None

    def headers(self) -> dict[str, str]:
        h = {}
        if self.etag:
            h["If-None-Match"] = self.etag
        if self.last_modified:
            h["If-Modified-Since"] = self.last_modified
        return h


class _Refused(Exception):
    def __init__(self, code: str, message: str, *, sent: bool = False) -> None:
        super().__init__(message)
        self.code, self.sent = code, sent


@dataclass
class _Host:
    robots: Protego | None = None  # None: everything allowed (no robots.txt)
    robots_loaded: bool = False
    robots_error: str | None = None  # why robots.txt could not be read (then nothing is requested from the host)
    last_request: float = float("-inf")
    delay: float = 0.0


@dataclass
class FetchClient:
    policy: FetchPolicy
    allowed_hosts: set[str]  # host[:port] of the registry's entries; redirects elsewhere are not followed
    on_request: Callable[[RequestRecord], None] = lambda r: None
    sleep: Callable[[float], None] = time.sleep
    _hosts: dict[str, _Host] = field(default_factory=dict)
    _http: httpx.Client | None = None

    def __enter__(self) -> FetchClient:
        # Redirects are followed here, hop by hop (httpx builds each next request), so every hop is checked
        # against the registry's hosts and robots.txt, paced, and logged.
        # trust_env: HTTP(S)_PROXY, NO_PROXY and SSL_CERT_FILE from the environment apply, as users expect.
        self._http = httpx.Client(headers={"User-Agent": self.policy.user_agent}, follow_redirects=False,
                                  timeout=httpx.Timeout(self.policy.timeout), trust_env=True)
        return self

    def __exit__(self, *exc) -> None:
        if self._http is not None:
            self._http.close()

    # -- public -------------------------------------------------------------------------------------------

    def allowed(self, url: str) -> bool:
        """robots.txt permits this URL for Gongkai (loads the host's robots.txt on first use)."""
        host = self._host(url)
        if not host.robots_loaded:
            self._load_robots(url, host)
        return host.robots is None or host.robots.can_fetch(url, USER_AGENT_TOKEN)

    def get(self, url: str, *, validators: Validators | None = None, expect: str | None = None,
            max_bytes: int | None = None) -> Fetched:
        """GET with the whole policy. ``expect`` is the kind the link announces (pdf, docx, html...): a body
        whose bytes are something else is refused (content_mismatch). Never raises for network trouble."""
        cap = max_bytes if max_bytes is not None else self.policy.max_bytes
        if urlsplit(url).netloc.lower() not in self.allowed_hosts:
            return self._refuse(url, "offsite_link", f"{urlsplit(url).netloc} is not a host in the sources registry; "
                                                "not requested")
        if not self.allowed(url):
            host = self._host(url)
            if host.robots_error:
                return self._refuse(url, "robots_unreachable", f"robots.txt could not be read ({host.robots_error}), "
                                    "so nothing on this host is requested this run (RFC 9309)")
            return self._refuse(url, "robots_disallowed", "robots.txt disallows this path for Gongkai; not requested")
        return self._get_with_retries(url, (validators or Validators()).headers(), cap, expect=expect)

    # -- internals ----------------------------------------------------------------------------------------

    def _host(self, url: str) -> _Host:
        return self._hosts.setdefault(urlsplit(url).netloc.lower(), _Host(delay=self.policy.delay))

    def _refuse(self, url: str, code: str, message: str, *, sent: bool = False) -> Fetched:
        self.on_request(RequestRecord(url, code, None, None, now(), message, sent))
        return Fetched(url=url, status=code, error=message)

    def _load_robots(self, url: str, host: _Host) -> None:
        """RFC 9309: a robots.txt that is missing (4xx) allows everything; one that cannot be read (5xx,
        network trouble) disallows everything for this run."""
        parts = urlsplit(url)
        robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
        host.robots_loaded = True
        res = self._get_with_retries(robots_url, {}, 512 * 1024, check_robots=False)
        if res.ok and res.body is not None:
            host.robots = Protego.parse(res.body.decode("utf-8", errors="replace"))
            crawl_delay = host.robots.crawl_delay(USER_AGENT_TOKEN)
            if crawl_delay:
                host.delay = max(host.delay, min(float(crawl_delay), MAX_CRAWL_DELAY_S))
        elif res.status.isdigit() and 400 <= int(res.status) < 500:
            host.robots = None
        else:
            host.robots_error = res.error or res.status
            host.robots = Protego.parse("User-agent: *\nDisallow: /")

    def _get_with_retries(self, url: str, headers: dict[str, str], cap: int, *, check_robots: bool = True,
                          expect: str | None = None) -> Fetched:
        attempt = 0
        while True:
            result = self._get_following_redirects(url, headers, cap, check_robots, expect)
            retriable = result.status in ("timeout", "connect_error") or (
                result.status.isdigit() and (int(result.status) >= 500 or int(result.status) == 429))
            if not retriable or attempt >= self.policy.retries:
                return result
            self.sleep(self.policy.backoff * (2 ** attempt))
            attempt += 1

    def _get_following_redirects(self, url: str, headers: dict[str, str], cap: int, check_robots: bool,
                                 expect: str | None) -> Fetched:
        assert self._http is not None, "use FetchClient as a context manager"
        request = self._http.build_request("GET", url, headers=headers)
        for _ in range(MAX_REDIRECTS + 1):
            try:
                response = self._send(request, cap)
            except _Refused as e:
                return self._refuse(str(request.url), e.code, str(e), sent=e.sent)
            if not response.has_redirect_location:
                return self._finish(response, cap, expect)
            nxt = response.next_request
            response.close()
            self.on_request(RequestRecord(str(request.url), str(response.status_code), None, None, now(),
                                          None))
            target = str(nxt.url)
            if urlsplit(target).netloc.lower() not in self.allowed_hosts:
                return self._refuse(target, "offsite_redirect",
                                    f"{request.url} redirects to {target}, a host outside the sources registry; "
                                    "not followed")
            if check_robots and not self.allowed(target):
                return self._refuse(target, "robots_disallowed",
                                    f"{request.url} redirects here; robots.txt disallows it; not requested")
            request = nxt
        return self._refuse(str(request.url), "too_many_redirects", f"more than {MAX_REDIRECTS} redirects")

    def _send(self, request: httpx.Request, cap: int) -> httpx.Response:
        """Send after the host's pause; raise _Refused for network trouble (logged by the caller)."""
        host = self._host(str(request.url))
        wait = host.last_request + host.delay - time.monotonic()
        if wait > 0:
            self.sleep(wait)
        try:
            return self._http.send(request, stream=True)
        except httpx.TimeoutException as e:
            raise _Refused("timeout", f"no answer within {self.policy.timeout:g} s ({type(e).__name__})",
                           sent=True) from e
        except httpx.TransportError as e:
            raise _Refused("connect_error", f"{type(e).__name__}: {e}", sent=True) from e
        finally:
            host.last_request = time.monotonic()

    def _finish(self, response: httpx.Response, cap: int, expect: str | None) -> Fetched:
        """Read the body (within the size cap), check its bytes against ``expect`` (else the Content-Type),
        log the request, return what came back."""
        url, status = str(response.request.url), str(response.status_code)
        meta = dict(content_type=response.headers.get("content-type"), etag=response.headers.get("etag"),
                    last_modified=response.headers.get("last-modified"))
        try:
            if response.status_code != 200:
                response.read()
                error = None if response.status_code == 304 else f"HTTP {response.status_code} {response.reason_phrase}"
                self.on_request(RequestRecord(url, status, len(response.content), None, now(), error))
                return Fetched(url=url, status=status, error=error, **meta)
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > cap:
                return self._too_large(url, int(declared), cap)
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > cap:
                    return self._too_large(url, size, cap)
                chunks.append(chunk)
        except httpx.TimeoutException as e:
            return self._refuse(url, "timeout", f"the body did not arrive within {self.policy.timeout:g} s "
                                                f"({type(e).__name__})", sent=True)
        except httpx.TransportError as e:
            return self._refuse(url, "connect_error", f"{type(e).__name__}: {e}", sent=True)
        finally:
            response.close()
        body = b"".join(chunks)
        sha, kind = hashlib.sha256(body).hexdigest(), content.sniff(body)
        want = expect or content.declared_kind(meta["content_type"])
        if want and not content.agrees(want, kind):
            message = (f"HTTP {status}, announced as {want} (by the link or Content-Type {meta['content_type'] or 'none'}) "
                       f"but the bytes are {kind}: not kept (often an error page served with status 200)")
            self.on_request(RequestRecord(url, "content_mismatch", len(body), sha, now(), message))
            return Fetched(url=url, status="content_mismatch", kind=kind, error=message, **meta)
        self.on_request(RequestRecord(url, status, len(body), sha, now(), None))
        return Fetched(url=url, status=status, body=body, kind=kind, **meta)

    def _too_large(self, url: str, size: int, cap: int) -> Fetched:
        return self._refuse(url, "too_large", f"{size:,} bytes or more; the limit is {cap:,} bytes (not kept)",
                            sent=True)
