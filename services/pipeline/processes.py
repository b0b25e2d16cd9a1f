"""Starting and stopping the pipeline's services as real OS processes (demo, end-to-end tests)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType


def hqfacts_argv(*args: str) -> list[str]:
    """The ``hqfacts`` command run by this interpreter (works from a venv without PATH changes)."""
    return [sys.executable, "-m", "services", *args]


@dataclass
class ManagedProcess:
    name: str
    argv: list[str]
    log_path: Path
    env: dict[str, str]
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> ManagedProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.popen = subprocess.Popen(
            self.argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=self.env
        )
        log.close()  # the child holds its own descriptor
        return self

    @property
    def pid(self) -> int:
        assert self.popen is not None, f"{self.name} was not started"
        return self.popen.pid

    def poll(self) -> int | None:
        return None if self.popen is None else self.popen.poll()

    def wait(self, timeout: float) -> int:
        assert self.popen is not None
        return self.popen.wait(timeout=timeout)

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM, then SIGKILL after ``timeout``; returns the exit code."""
        if self.popen is None or self.popen.poll() is not None:
            return None if self.popen is None else self.popen.returncode
        self.popen.send_signal(signal.SIGTERM)
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            return self.popen.wait(timeout=timeout)

    def kill(self) -> None:
        """kill -9: what a crash looks like."""
        if self.popen is not None and self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(timeout=30)

    def tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text("utf-8", "replace").splitlines()[-lines:])


@dataclass
class ProcessGroup:
    """Processes that live as long as a ``with`` block; all are stopped on exit, crash or not."""

    log_dir: Path
    base_env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    processes: list[ManagedProcess] = field(default_factory=list)

    def start(self, name: str, argv: Sequence[str], env: Mapping[str, str] | None = None) -> ManagedProcess:
        full_env = {**self.base_env, **(env or {})}
        proc = ManagedProcess(name, list(argv), self.log_dir / f"{name}.log", full_env).start()
        self.processes.append(proc)
        return proc

    def get(self, name: str) -> ManagedProcess:
        """The latest process started under ``name``."""
        return next(proc for proc in reversed(self.processes) if proc.name == name)

    def check_alive(self, *names: str) -> None:
        """Fail fast with the log tail when a service that should run has died."""
        for proc in self.processes:
            if (not names or proc.name in names) and proc.poll() is not None:
                raise RuntimeError(
                    f"{proc.name} exited with {proc.poll()}; last log lines ({proc.log_path}):\n{proc.tail()}"
                )

    def stop_all(self) -> dict[str, int | None]:
        return {proc.name: proc.stop() for proc in reversed(self.processes)}

    def __enter__(self) -> ProcessGroup:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop_all()


def wait_for_file(path: Path, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.stat().st_size > 0:
            return path.read_text().strip()
        time.sleep(0.05)
    raise TimeoutError(f"{path} did not appear within {timeout:.0f} s")
