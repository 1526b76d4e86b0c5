"""Provenance recorded in rows: the commit is that of the code the process loaded."""

from __future__ import annotations

import subprocess
from pathlib import Path

from decomp.provenance import git_commit


def test_the_commit_is_read_once_per_process(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "a.txt").write_text("1")
    subprocess.run([*git, "add", "a.txt"], check=True)
    subprocess.run([*git, "commit", "-qm", "one"], check=True)
    first = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    git_commit.cache_clear()
    assert git_commit(repo) == first
    (repo / "a.txt").write_text("2")  # the checkout changes while a long run trains
    subprocess.run([*git, "commit", "-qam", "two"], check=True)
    assert git_commit(repo) == first  # what this process loaded, not what was committed since
    git_commit.cache_clear()
    assert git_commit(repo) != first and not git_commit(repo).endswith("+dirty")
    (repo / "a.txt").write_text("3")
    git_commit.cache_clear()
    assert git_commit(repo).endswith("+dirty")
    assert git_commit(Path(tmp_path / "not-a-repo")) == "unknown"
