"""Local snapshot sites served on loopback: our own demo pages, or one built from the shared corpus."""

from __future__ import annotations

import json
import sys
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from services.pipeline.processes import ProcessGroup, wait_for_file
from services.testing.corpus_site import build_corpus_site, shared_dir

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_SITE = REPO_ROOT / "deploy" / "demo-site"


def serve_corpus_site(group: ProcessGroup, root: Path, *extra_args: str, timeout: float = 30.0) -> str:
    """Start the shared site_server.py on a free loopback port; returns its base URL."""
    port_file = group.log_dir / "site.port"
    port_file.unlink(missing_ok=True)
    argv = [sys.executable, str(shared_dir() / "tools" / "site_server.py"), "--root", str(root)]
    argv += ["--port", "0", "--port-file", str(port_file), "--quiet", *extra_args]
    group.start("site", argv)
    port = wait_for_file(port_file, timeout)
    return f"http://127.0.0.1:{port}"


def serve_static_site(group: ProcessGroup, root: Path, port: int) -> str:
    """Serve a folder of static pages (our demo site) with the standard library's HTTP server."""
    argv = [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "--directory", str(root), str(port)]
    group.start("site", argv)
    return f"http://127.0.0.1:{port}"


@dataclass(frozen=True)
class LiveSite:
    """Two snapshots of one small site: the second adds a post, edits a number in one, deletes another."""

    first: Path
    second: Path
    new_slug: str
    edited_slug: str
    deleted_slug: str


def build_live_snapshots(
    workdir: Path,
    *,
    slugs: Sequence[str],
    new_slug: str,
    edit: tuple[str, str, str],
    deleted_slug: str,
    latest: str = "2021-12-31 09:00",
    dates: Mapping[str, str] | None = None,
) -> LiveSite:
    """Copy a handful of corpus posts into two posts folders and build a site from each (build_site.py).

    ``slugs`` are in both snapshots (``edit`` = (slug, old text, new text) and ``deleted_slug`` among them);
    ``new_slug`` only in the second, dated ``latest`` so that it tops the feed, the home page and the
    sitemap; ``dates`` overrides the corpus dates of others. build_site.py numbers posts by date: a deleted
    post dated after the others shifts no one's ID (WordPress never renumbers; a rebuild would, and every
    later post's page would change). Only copies in ``workdir`` are written: the corpus is only read.
    """
    corpus = shared_dir() / "corpus" / "hddtvn"
    edited_slug, old, new = edit
    assert edited_slug in slugs and deleted_slug in slugs and new_slug not in slugs
    all_dates = {**_corpus_dates(corpus), **(dates or {}), new_slug: latest}

    def edited(slug: str, text: str) -> str:
        if slug != edited_slug:
            return text
        assert old in text, f"{old!r} is not in {slug}"
        return text.replace(old, new)

    first = _build_snapshot(workdir, 1, slugs, all_dates)
    second = _build_snapshot(
        workdir, 2, [*(s for s in slugs if s != deleted_slug), new_slug], all_dates, rewrite=edited
    )
    return LiveSite(first, second, new_slug, edited_slug, deleted_slug)


def _corpus_dates(corpus: Path) -> dict[str, str]:
    """Slug -> publication date, from the corpus' dates.tsv."""
    lines = (corpus / "dates.tsv").read_text("utf-8").splitlines()
    return dict(line.split("\t", 1) for line in lines if "\t" in line)


def _build_snapshot(
    workdir: Path,
    n: int,
    members: Sequence[str],
    dates: dict[str, str],
    rewrite: Callable[[str, str], str] = lambda slug, text: text,
) -> Path:
    """Snapshot ``n`` of a site: copies of the ``members`` posts (each passed through ``rewrite``), their
    dates, and the site build_site.py makes of them."""
    corpus = shared_dir() / "corpus" / "hddtvn"
    posts = workdir / f"posts{n}"
    posts.mkdir(parents=True, exist_ok=True)
    for slug in members:
        text = (corpus / "posts" / f"{slug}.md").read_text("utf-8")
        (posts / f"{slug}.md").write_text(rewrite(slug, text), "utf-8")
    date_file = workdir / f"dates{n}.tsv"
    date_file.write_text("".join(f"{s}\t{dates[s]}\n" for s in members if s in dates), "utf-8")
    return build_corpus_site(workdir / f"site{n}", posts=posts, dates=date_file)


def publish_next_snapshot(site_url: str) -> dict[str, object]:
    """Switch the live site server to its next snapshot (GET /__publish)."""
    with urllib.request.urlopen(site_url + "/__publish", timeout=10) as resp:
        answer: dict[str, object] = json.loads(resp.read())
    return answer


def build_growing_snapshots(
    workdir: Path, *, base: Sequence[str], added: Sequence[str], first_date: str = "2022-01-01"
) -> list[Path]:
    """Snapshots 0..N of a site that gains one post per snapshot (``added[i]`` appears in snapshot i+1),
    each new post dated after every other so that it tops the feed, the home page and the sitemap."""
    known = _corpus_dates(shared_dir() / "corpus" / "hddtvn")
    dates = {slug: known[slug] for slug in base if slug in known}
    dates.update({slug: f"{first_date} {i // 60:02d}:{i % 60:02d}" for i, slug in enumerate(added, start=1)})
    return [_build_snapshot(workdir, n, [*base, *added[:n]], dates) for n in range(len(added) + 1)]
