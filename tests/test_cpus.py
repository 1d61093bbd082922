"""Unit tests for mpworkers.lab.cpus: visible CPUs, affinity, cgroup quotas, Python's override.

The cgroup tests build a fake ``/proc`` and ``/sys/fs/cgroup`` under a
temporary folder and point ``root`` at it.
"""

from __future__ import annotations

import os
import pathlib

import pytest

from mpworkers.lab import cpus

V2_MOUNT = "30 24 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw\n"
V1_MOUNT = "35 25 0:30 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"


def fake_tree(
    tmp_path: pathlib.Path, cgroup: str, mountinfo: str, files: dict[str, str]
) -> pathlib.Path:
    (tmp_path / "proc/self").mkdir(parents=True)
    (tmp_path / "proc/self/cgroup").write_text(cgroup)
    (tmp_path / "proc/self/mountinfo").write_text(mountinfo)
    for name, text in files.items():
        path = tmp_path / name.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


# --- cgroup v2 ---------------------------------------------------------------


def test_v2_quota_of_own_cgroup(tmp_path: pathlib.Path) -> None:
    root = fake_tree(tmp_path, "0::/user.slice/job\n", V2_MOUNT,
                     {"/sys/fs/cgroup/user.slice/job/cpu.max": "150000 100000\n"})
    quota, why = cpus.cgroup_cpu_quota(root)
    assert quota is not None and quota.cpus == 1.5
    assert "cpu.max" in why and "1.5 CPUs" in why


def test_v2_smallest_quota_of_the_ancestors_applies(tmp_path: pathlib.Path) -> None:
    root = fake_tree(tmp_path, "0::/a/b\n", V2_MOUNT, {
        "/sys/fs/cgroup/a/b/cpu.max": "max 100000",
        "/sys/fs/cgroup/a/cpu.max": "50000 100000",
        "/sys/fs/cgroup/cpu.max": "400000 100000",
    })
    quota, _ = cpus.cgroup_cpu_quota(root)
    assert quota is not None and quota.cpus == 0.5
    assert cpus.effective_cpus(root=root, visible=8, affinity=range(8)).count == 1


def test_v2_max_means_no_quota(tmp_path: pathlib.Path) -> None:
    root = fake_tree(tmp_path, "0::/\n", V2_MOUNT, {"/sys/fs/cgroup/cpu.max": "max 100000"})
    assert cpus.cgroup_cpu_quota(root) == (None, "no CPU quota (cgroup v2)")


def test_container_with_its_own_cgroup_namespace(tmp_path: pathlib.Path) -> None:
    # docker run --cpus 2: the container's cgroup is the root of what it sees
    root = fake_tree(tmp_path, "0::/\n", V2_MOUNT, {"/sys/fs/cgroup/cpu.max": "200000 100000"})
    budget = cpus.effective_cpus(root=root, visible=64, affinity=range(64), environ={})
    assert (budget.count, budget.limited_by, budget.quota) == (2, "CPU quota", 2.0)
    assert budget.describe() == "64 visible CPUs, CPU quota 2: 2 usable CPUs (set by the CPU quota)"


@pytest.mark.parametrize("text", ["garbage", "0 100000", "100000 0", "-5 100000", "1 2 3", ""])
def test_v2_malformed_quota_is_ignored_with_the_reason(tmp_path: pathlib.Path, text: str) -> None:
    root = fake_tree(tmp_path, "0::/\n", V2_MOUNT, {"/sys/fs/cgroup/cpu.max": text})
    quota, why = cpus.cgroup_cpu_quota(root)
    assert quota is None and why.startswith("CPU quota unreadable")
    budget = cpus.effective_cpus(root=root, visible=4, affinity=range(4), environ={})
    assert budget.count == 4 and budget.notes == (why,)


# --- cgroup v1 ---------------------------------------------------------------


def test_v1_quota(tmp_path: pathlib.Path) -> None:
    root = fake_tree(tmp_path, "4:cpu,cpuacct:/job\n3:memory:/job\n", V1_MOUNT, {
        "/sys/fs/cgroup/cpu,cpuacct/job/cpu.cfs_quota_us": "100000\n",
        "/sys/fs/cgroup/cpu,cpuacct/job/cpu.cfs_period_us": "100000\n",
    })
    quota, why = cpus.cgroup_cpu_quota(root)
    assert quota is not None and quota.cpus == 1.0 and "cfs_quota_us" in why
    budget = cpus.effective_cpus(root=root, visible=2, affinity={0, 1}, environ={})
    assert (budget.count, budget.limited_by) == (1, "CPU quota")


def test_v1_quota_rounds_up(tmp_path: pathlib.Path) -> None:
    root = fake_tree(tmp_path, "4:cpu,cpuacct:/\n", V1_MOUNT, {
        "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us": "250000",
        "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us": "100000",
    })
    assert cpus.effective_cpus(root=root, visible=8, affinity=range(8), environ={}).count == 3


def test_v1_without_cgroup_namespace(tmp_path: pathlib.Path) -> None:
    # the process sees its full cgroup path, and the mount's root is that path
    mount = "35 25 0:30 /docker/abc /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n"
    root = fake_tree(tmp_path, "2:cpu:/docker/abc\n", mount, {
        "/sys/fs/cgroup/cpu/cpu.cfs_quota_us": "50000",
        "/sys/fs/cgroup/cpu/cpu.cfs_period_us": "100000",
    })
    quota, _ = cpus.cgroup_cpu_quota(root)
    assert quota is not None and quota.cpus == 0.5


def test_v1_minus_one_means_no_quota(tmp_path: pathlib.Path) -> None:
    root = fake_tree(tmp_path, "4:cpu,cpuacct:/\n", V1_MOUNT, {
        "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us": "-1",
        "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us": "100000",
    })
    assert cpus.cgroup_cpu_quota(root) == (None, "no CPU quota (cgroup v1)")


@pytest.mark.parametrize("quota, period", [("abc", "100000"), ("0", "100000"), ("1000", "0")])
def test_v1_malformed_values(tmp_path: pathlib.Path, quota: str, period: str) -> None:
    root = fake_tree(tmp_path, "4:cpu,cpuacct:/\n", V1_MOUNT, {
        "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us": quota,
        "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us": period,
    })
    quota_found, why = cpus.cgroup_cpu_quota(root)
    assert quota_found is None and why.startswith("CPU quota unreadable")


def test_v1_missing_period_file(tmp_path: pathlib.Path) -> None:
    root = fake_tree(tmp_path, "4:cpu,cpuacct:/\n", V1_MOUNT,
                     {"/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us": "100000"})
    quota, why = cpus.cgroup_cpu_quota(root)
    assert quota is None and why.startswith("CPU quota unreadable")


def test_no_proc_at_all(tmp_path: pathlib.Path) -> None:
    quota, why = cpus.cgroup_cpu_quota(tmp_path)
    assert quota is None and why.startswith("no cgroup information")
    budget = cpus.effective_cpus(root=tmp_path, visible=4, affinity=range(4), environ={})
    assert budget.count == 4 and budget.notes == ()


def test_cgroup_without_a_matching_mount(tmp_path: pathlib.Path) -> None:
    root = fake_tree(tmp_path, "0::/x\n", "", {})
    assert cpus.cgroup_cpu_quota(root) == (None, "no CPU cgroup found for this process")


# --- affinity, visible CPUs, override ----------------------------------------


def test_affinity_limits(tmp_path: pathlib.Path) -> None:
    budget = cpus.effective_cpus(root=tmp_path, visible=8, affinity={3}, environ={})
    assert (budget.count, budget.limited_by, budget.affinity) == (1, "affinity mask", 1)
    assert budget.describe() == (
        "8 visible CPUs, affinity 1: 1 usable CPU (set by the affinity mask)")


def test_empty_affinity_mask_is_ignored(tmp_path: pathlib.Path) -> None:
    budget = cpus.effective_cpus(root=tmp_path, visible=4, affinity=set(), environ={})
    assert budget.count == 4 and "empty affinity mask" in budget.notes[0]


def test_zero_visible_cpus_counts_as_one(tmp_path: pathlib.Path) -> None:
    budget = cpus.effective_cpus(root=tmp_path, visible=0, affinity={0}, environ={})
    assert budget.count == 1 and budget.notes


@pytest.mark.parametrize("bad", ["2", 2.0, None])
def test_effective_cpus_validates(tmp_path: pathlib.Path, bad: object) -> None:
    if bad is None:
        with pytest.raises(TypeError, match="affinity"):
            cpus.effective_cpus(root=tmp_path, visible=2, affinity="01")  # type: ignore[arg-type]
        return
    with pytest.raises(TypeError, match="visible"):
        cpus.effective_cpus(root=tmp_path, visible=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "environ, xoptions, version, expected",
    [
        ({}, {}, (3, 13), None),
        ({"PYTHON_CPU_COUNT": "3"}, {}, (3, 13), 3),
        ({"PYTHON_CPU_COUNT": "3"}, {"cpu_count": "1"}, (3, 14), 1),
        ({"PYTHON_CPU_COUNT": "default"}, {}, (3, 13), None),
        ({"PYTHON_CPU_COUNT": "3"}, {}, (3, 12), None),
        ({"PYTHON_CPU_COUNT": "three"}, {}, (3, 13), None),
        ({"PYTHON_CPU_COUNT": "0"}, {}, (3, 13), None),
        ({"PYTHON_CPU_COUNT": "-2"}, {}, (3, 13), None),
    ],
)
def test_cpu_count_override(
    environ: dict[str, str], xoptions: dict[str, str], version: tuple[int, int],
    expected: int | None,
) -> None:
    value, why = cpus.cpu_count_override(environ, xoptions, version)
    assert value == expected
    assert why


def test_override_reasons() -> None:
    assert "ignored" in cpus.cpu_count_override({"PYTHON_CPU_COUNT": "x"}, {}, (3, 13))[1]
    assert "3.12 does not read it" in cpus.cpu_count_override(
        {"PYTHON_CPU_COUNT": "2"}, {}, (3, 12))[1]


def test_garbage_override_falls_back_with_a_note(tmp_path: pathlib.Path) -> None:
    budget = cpus.effective_cpus(root=tmp_path, visible=4, affinity=range(4),
                                 environ={"PYTHON_CPU_COUNT": "lots"})
    if budget.override is None:  # the running Python reads the variable only from 3.13
        assert budget.count == 4 and any("PYTHON_CPU_COUNT" in note for note in budget.notes)


def test_this_process() -> None:
    budget = cpus.effective_cpus()
    assert 1 <= budget.count <= budget.visible
    if hasattr(os, "sched_getaffinity"):
        assert budget.count <= len(os.sched_getaffinity(0))
    assert cpus.visible_cpus() >= budget.count
    assert "usable CPU" in budget.describe()


# --- edges that a mutation check found untested ---------------------------------


def test_visible_cpus_falls_back_to_os_then_to_one(monkeypatch: pytest.MonkeyPatch) -> None:
    import psutil

    monkeypatch.setattr(psutil, "cpu_count", lambda logical=True: None)
    monkeypatch.setattr(os, "cpu_count", lambda: 3)
    assert cpus.visible_cpus() == 3
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert cpus.visible_cpus() == 1
    monkeypatch.setattr(psutil, "cpu_count", lambda logical=True: 5)
    assert cpus.visible_cpus() == 5


def test_mountinfo_lines_that_are_not_cpu_cgroups_are_skipped(tmp_path: pathlib.Path) -> None:
    mountinfo = (
        "1 2 / /short - cgroup2\n"  # only 4 fields before the separator
        "36 25 0:31 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"  # v1, not cpu
        "37 25 0:32 / /sys/fs/cgroup/cpu rw - cgroup cgroup\n"  # v1 without its options
        + V1_MOUNT + V2_MOUNT
    )
    fake_tree(tmp_path, "0::/\n", mountinfo, {})
    v2, v1 = cpus._cgroup_mounts(tmp_path)
    assert v2 == [("/", "/sys/fs/cgroup")]
    assert v1 == [("/", "/sys/fs/cgroup/cpu,cpuacct")]


def test_a_mount_root_with_a_trailing_slash(tmp_path: pathlib.Path) -> None:
    assert cpus._inside("/kubepods/", "/kubepods/pod1") == "pod1"
    assert cpus._inside("/", "/a/b") == "a/b"


def test_a_named_v1_hierarchy_is_not_cgroup_v2(tmp_path: pathlib.Path) -> None:
    # "1:name=systemd:/x" has controllers, "2::/y" is a v1 line with none: neither is v2
    root = fake_tree(tmp_path, "0::/\n2::/y\n1:name=systemd:/x\n", V2_MOUNT,
                     {"sys/fs/cgroup/cpu.max": "50000 100000\n",
                      "sys/fs/cgroup/y/cpu.max": "max 100000\n"})
    quota = cpus.cgroup_cpu_quota(root)[0]
    assert quota is not None and quota.cpus == 0.5


def test_one_visible_cpu_is_no_reason_for_a_note(tmp_path: pathlib.Path) -> None:
    budget = cpus.effective_cpus(root=tmp_path, visible=1, affinity={0}, environ={})
    assert budget.count == 1 and budget.notes == ()


# --- which CPUs share a core (SMT) -------------------------------------------------


def fake_topology(tmp_path: pathlib.Path, siblings: dict[int, str],
                  name: str = "core_cpus_list") -> pathlib.Path:
    """A fake /sys/devices/system/cpu: each CPU's list of the CPUs of its core."""
    for cpu, text in siblings.items():
        folder = tmp_path / f"sys/devices/system/cpu/cpu{cpu}/topology"
        folder.mkdir(parents=True)
        (folder / name).write_text(text + "\n")
    return tmp_path


# Intel's usual numbering: CPUs 0-1 are two cores, 2-3 their second hardware threads
TWO_CORES_FOUR_THREADS = {0: "0,2", 1: "1,3", 2: "0,2", 3: "1,3"}


@pytest.mark.parametrize(("usable", "count", "smt", "described"), [
    ({0, 1, 2, 3}, 2, True, "4 usable CPUs are 2 physical cores"),
    ({0, 1}, 2, False, "2 usable CPUs are 2 physical cores"),
    ({0, 2}, 1, True, "2 usable CPUs are 1 physical core"),
    ({3}, 1, False, "1 usable CPU is 1 physical core"),
])
def test_cores_of_the_usable_cpus(tmp_path: pathlib.Path, usable: set[int], count: int,
                                  smt: bool, described: str) -> None:
    root = fake_topology(tmp_path, TWO_CORES_FOUR_THREADS)
    cores = cpus.cpu_cores(usable, root=root)
    assert (cores.count, cores.smt, cores.describe()) == (count, smt, described)
    assert cores.cpus == tuple(sorted(usable)) and cores.note == ""


def test_cores_siblings_are_the_lists_as_written(tmp_path: pathlib.Path) -> None:
    root = fake_topology(tmp_path, {0: "0-1", 1: "0-1", 2: "2-3", 3: "2-3"})
    cores = cpus.cpu_cores(range(4), root=root)
    assert (cores.count, cores.smt, cores.siblings) == (2, True, ("0-1", "2-3"))


def test_cores_read_the_older_file_name(tmp_path: pathlib.Path) -> None:
    # kernels before core_cpus_list have only thread_siblings_list
    root = fake_topology(tmp_path, {0: "0-1", 1: "0-1"}, name="thread_siblings_list")
    assert cpus.cpu_cores({0, 1}, root=root).describe() == "2 usable CPUs are 1 physical core"


@pytest.mark.parametrize("siblings", [{0: "0"}, {0: "0", 1: "1-0"}, {0: "0", 1: "one"}])
def test_cores_unknown_without_a_readable_topology(tmp_path: pathlib.Path,
                                                   siblings: dict[int, str]) -> None:
    # CPU 1 has no file, or a list that does not parse: unknown, never an exception
    cores = cpus.cpu_cores({0, 1}, root=fake_topology(tmp_path, siblings))
    assert (cores.count, cores.smt, cores.siblings) == (None, None, ())
    assert cores.note and cores.describe().startswith("2 usable CPUs, physical cores unknown (")


def test_cores_validate_the_cpus(tmp_path: pathlib.Path) -> None:
    for bad in ("01", 3, [0, "1"], [True]):
        with pytest.raises(TypeError, match="cpus must be a collection"):
            cpus.cpu_cores(bad, root=tmp_path)  # type: ignore[arg-type]


def test_cores_of_this_machine() -> None:
    cores = cpus.cpu_cores()
    if hasattr(os, "sched_getaffinity"):
        assert set(cores.cpus) == os.sched_getaffinity(0)
    assert cores.count is None or 1 <= cores.count <= len(cores.cpus)


@pytest.mark.parametrize(("text", "expected"), [
    ("0", {0}), ("0-3", {0, 1, 2, 3}), ("0-2,8", {0, 1, 2, 8}), (" 1,3 \n", {1, 3}),
])
def test_parse_cpu_list(text: str, expected: set[int]) -> None:
    assert cpus.parse_cpu_list(text) == expected


@pytest.mark.parametrize("text", ["", "3-1", "-1", "a", "0-", "0,,1"])
def test_parse_cpu_list_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        cpus.parse_cpu_list(text)
