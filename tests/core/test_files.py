"""Files agentkit saves for the user are written whole or not at all."""

from __future__ import annotations

import os
import stat

import pytest

from agentkit.files import write_atomically


def test_a_file_is_replaced_whole_with_umask_permissions_and_no_leftovers(tmp_path):
    target = tmp_path / "summary.json"
    target.write_text("old")
    write_atomically(target, "new ünïcode")
    write_atomically(tmp_path / "chart.png", b"\x89PNG")

    assert target.read_text(encoding="utf-8") == "new ünïcode"
    assert (tmp_path / "chart.png").read_bytes() == b"\x89PNG"
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chart.png", "summary.json"]


def test_a_failed_save_leaves_what_was_there_and_no_temporary(tmp_path):
    taken = tmp_path / "report"
    taken.mkdir()  # the rename onto a directory fails after the data was written
    (taken / "inside.txt").write_text("kept")

    with pytest.raises(IsADirectoryError):
        write_atomically(taken, "lost")
    assert [p.name for p in tmp_path.iterdir()] == ["report"]
    assert (taken / "inside.txt").read_text() == "kept"
