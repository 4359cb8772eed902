"""The CPU thread policy: free cores at rest, one thread when busy, $OMP_NUM_THREADS wins."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from vae_helpers import threads


@pytest.mark.parametrize(
    ("cpus", "load", "expected"),
    [
        (2, 0.0, 2),  # an idle 2-core laptop: both cores
        (2, 0.55, 2),  # background noise, or the last run's own threads: still both
        (2, 0.75, 2),
        (2, 0.8, 1),  # most of a core taken: one thread
        (2, 1.0, 1),  # one busy program: one thread
        (2, 2.0, 1),  # two busy programs on two cores: one thread, never zero
        (2, 9.0, 1),
        (8, 3.2, 5),
        (8, 3.8, 4),
        (8, -1.0, 8),  # a nonsense load is treated as none
        (1, 0.0, 1),
    ],
)
def test_chosen_threads(cpus: int, load: float, expected: int) -> None:
    assert threads.chosen_threads(cpus, load) == expected


def test_chosen_threads_refuses_no_cpus() -> None:
    with pytest.raises(ValueError, match="cpus must be at least 1, got 0"):
        threads.chosen_threads(0, 0.0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("max 100000\n", None), ("150000 100000\n", 1), ("400000 100000\n", 4), ("junk", None)],
)
def test_cgroup_quota(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, expected) -> None:
    cpu_max = tmp_path / "cpu.max"
    cpu_max.write_text(text)
    monkeypatch.setattr(threads, "CGROUP_CPU_MAX", cpu_max)
    assert threads._cgroup_quota() == expected


def test_usable_cpus_respects_a_quota(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cpu_max = tmp_path / "cpu.max"
    cpu_max.write_text("100000 100000\n")
    monkeypatch.setattr(threads, "CGROUP_CPU_MAX", cpu_max)
    assert threads.usable_cpus() == 1


def test_policy_sets_torch_threads_unless_omp_num_threads_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = torch.get_num_threads()
    try:
        monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
        monkeypatch.setattr(threads, "usable_cpus", lambda: 2)
        monkeypatch.setattr(threads, "current_load", lambda: 3.0)
        assert threads.apply_thread_policy() == 1
        assert torch.get_num_threads() == 1
        monkeypatch.setattr(threads, "current_load", lambda: 0.0)
        assert threads.apply_thread_policy() == 2
        assert torch.get_num_threads() == 2

        torch.set_num_threads(1)
        monkeypatch.setenv("OMP_NUM_THREADS", "1")
        assert threads.apply_thread_policy() is None  # the user's choice stands
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
