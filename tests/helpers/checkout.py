"""The repository's files, copied as a fresh clone would have them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def clone_into(target: Path) -> None:
    """Copy the tracked files, and new ones not ignored, of the work tree into ``target``."""
    listed = (
        subprocess.run(  # noqa: S603 - our own command line
            [shutil.which("git") or "git", "ls-files", "-z", "-co", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the work tree is not copied
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)  # keeps mtimes: make sees nothing new
