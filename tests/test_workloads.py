"""Unit tests for mpworkers.workloads: results, argument checks, no timing claims."""

from __future__ import annotations

import hashlib
import zlib

import pytest

from mpworkers import workloads


def test_spin_checksum() -> None:
    assert workloads.spin(0) == 0
    assert workloads.spin(10) == sum(i * i for i in range(10))


@pytest.mark.parametrize("bad, error", [(-1, ValueError), (1.5, TypeError), (True, TypeError)])
def test_spin_validates(bad: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="n must be"):
        workloads.spin(bad)  # type: ignore[arg-type]


def test_calibrate_spin_returns_positive_int() -> None:
    n = workloads.calibrate_spin(0.001, probe=2000)
    assert isinstance(n, int) and n >= 1


@pytest.mark.parametrize("seconds", [0, -1])
def test_calibrate_spin_validates(seconds: float) -> None:
    with pytest.raises(ValueError):
        workloads.calibrate_spin(seconds)
    with pytest.raises(ValueError, match="probe"):
        workloads.calibrate_spin(0.1, probe=10)


def test_spin_for_runs_at_least_that_long() -> None:
    assert workloads.spin_for(0.0) >= 0.0
    assert workloads.spin_for(0.002) >= 0.002
    with pytest.raises(ValueError):
        workloads.spin_for(-0.1)


def test_hash_bytes_matches_hashlib() -> None:
    expected = hashlib.sha256(bytes(4096) * 3).hexdigest()
    assert workloads.hash_bytes(4096, 3) == expected
    with pytest.raises(ValueError, match="size"):
        workloads.hash_bytes(0)
    with pytest.raises(TypeError, match="rounds"):
        workloads.hash_bytes(10, "2")  # type: ignore[arg-type]


def test_compress_bytes_matches_zlib() -> None:
    data = (bytes(range(256)) * 40)[:10_000]
    assert workloads.compress_bytes(10_000, 1) == len(zlib.compress(data, 1))
    with pytest.raises(ValueError, match="level"):
        workloads.compress_bytes(100, 10)


def test_wait_returns_its_argument() -> None:
    assert workloads.wait(0) == 0.0
    with pytest.raises(TypeError):
        workloads.wait("1")  # type: ignore[arg-type]
