"""Local snapshot sites served on loopback: our own demo pages, or one built from the shared corpus."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from services.pipeline.processes import ProcessGroup, wait_for_file

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_SITE = REPO_ROOT / "deploy" / "demo-site"


def shared_dir() -> Path:
    """The read-only shared folder (corpus, gold, site tools): HQ_SHARED_DIR or ../shared beside the repo."""
    return Path(os.environ.get("HQ_SHARED_DIR", REPO_ROOT.parent / "shared")).resolve()


def build_corpus_site(
    out: Path,
    *,
    posts: Path | None = None,
    limit: int | None = None,
    include: Path | None = None,
    dates: Path | None = None,
) -> Path:
    """Render corpus posts into a WordPress-like site with the shared build_site.py (deterministic)."""
    shared = shared_dir()
    posts = posts or shared / "corpus" / "hddtvn" / "posts"
    if (posts / "posts").is_dir():  # accept the corpus folder as well as its posts/ folder
        posts = posts / "posts"
    dates = dates or posts.parent / "dates.tsv"
    argv = [sys.executable, str(shared / "tools" / "build_site.py"), "--posts", str(posts), "--out", str(out)]
    argv += ["--force"]
    if limit is not None:
        argv += ["--limit", str(limit)]
    if include is not None:
        argv += ["--include", str(include)]
    if dates.exists():
        argv += ["--dates", str(dates)]
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    return out


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
