"""Tests of mpworkers.distributed, and of the loopback-only Dask cluster of chapter 9."""

from __future__ import annotations

import contextlib
import doctest
import hashlib
import logging
import os
import pickle
import tempfile
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from typing import Any

import psutil
import pytest

import mpworkers.distributed
from mpworkers.distributed import (
    checksum,
    count_byte,
    make_block,
    multiplier,
)


def test_doctests() -> None:
    result = doctest.testmod(mpworkers.distributed)
    assert result.failed == 0


# --- make_block ------------------------------------------------------------


def test_make_block_has_the_size_and_depends_only_on_the_variant() -> None:
    assert len(make_block(1000)) == 1000
    assert make_block(1000, variant=3) == make_block(1000, variant=3)
    assert make_block(1000, variant=3) != make_block(1000, variant=4)
    assert make_block(0) == b""


@pytest.mark.parametrize("size", ["10", 1.5, True, None])
def test_make_block_rejects_a_size_that_is_not_an_int(size: Any) -> None:
    with pytest.raises(TypeError, match="size"):
        make_block(size)


def test_make_block_rejects_negative_arguments() -> None:
    with pytest.raises(ValueError, match="size"):
        make_block(-1)
    with pytest.raises(ValueError, match="variant"):
        make_block(10, variant=-1)
    with pytest.raises(TypeError, match="variant"):
        make_block(10, variant="1")  # type: ignore[arg-type]


# --- count_byte ------------------------------------------------------------


def test_count_byte_counts_and_accepts_any_bytes_like_object() -> None:
    data = bytes([0, 1, 1, 255, 1])
    assert count_byte(data, 1) == 3
    assert count_byte(bytearray(data), 255) == 1
    assert count_byte(memoryview(data), 7) == 0
    block = make_block(10_000, variant=2)
    assert sum(count_byte(block, value) for value in range(256)) == len(block)


def test_count_byte_rejects_bad_arguments() -> None:
    with pytest.raises(TypeError, match="block"):
        count_byte("abc", 97)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="value"):
        count_byte(b"abc", "a")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="value"):
        count_byte(b"abc", 256)
    with pytest.raises(ValueError, match="value"):
        count_byte(b"abc", -1)


# --- checksum --------------------------------------------------------------


def test_checksum_is_the_sha256_hex_digest() -> None:
    block = make_block(5000, variant=1)
    assert checksum(block) == hashlib.sha256(block).hexdigest()
    assert checksum(bytearray(block)) == checksum(block)
    assert len(checksum(b"")) == 64


def test_checksum_rejects_text() -> None:
    with pytest.raises(TypeError, match="block"):
        checksum("text")  # type: ignore[arg-type]


# --- multiplier -------------------------------------------------------------


def test_multiplier_multiplies_and_checks_its_arguments() -> None:
    triple = multiplier(3)
    assert triple(5) == 15
    assert multiplier(0)(7) == 0
    assert multiplier(-2)(4) == -8
    with pytest.raises(TypeError, match="factor"):
        multiplier(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="factor"):
        multiplier(True)
    with pytest.raises(TypeError, match="x"):
        triple("5")  # type: ignore[arg-type]


def test_multiplier_returns_a_closure_that_pickle_refuses_and_cloudpickle_sends() -> None:
    triple = multiplier(3)
    assert triple.__closure__ is not None
    # AttributeError up to Python 3.13, PicklingError from 3.14
    with pytest.raises((AttributeError, pickle.PicklingError)):
        pickle.dumps(triple)
    cloudpickle = pytest.importorskip("cloudpickle")
    assert pickle.loads(cloudpickle.dumps(triple))(5) == 15


def test_tasks_pickle_by_reference() -> None:
    """A child process with any start method finds them by importing the module."""
    for func in (make_block, count_byte, checksum):
        payload = pickle.dumps(func)
        assert b"mpworkers.distributed" in payload
        assert pickle.loads(payload) is func


# --- the cluster of chapter 9 ----------------------------------------------


@contextlib.contextmanager
def loopback_cluster() -> Iterator[Any]:
    """The LocalCluster of chapter 9, with a Client: loopback only, no dashboard."""
    distributed = pytest.importorskip("dask.distributed")
    with tempfile.TemporaryDirectory() as scratch, distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
        silence_logs=logging.ERROR,
        local_directory=scratch,
    ) as cluster, distributed.Client(cluster) as client:
        yield client


def listening_addresses(pid: int | None = None) -> list[tuple[str, int]]:
    """The sorted (host, port) pairs on which process ``pid`` (default: this one) accepts TCP."""
    process = psutil.Process(os.getpid() if pid is None else pid)
    # psutil 6 renamed Process.connections() to net_connections().
    lister = getattr(process, "net_connections", None) or process.connections
    return sorted({(str(c.laddr.ip), int(c.laddr.port)) for c in lister(kind="tcp")
                   if c.status == psutil.CONN_LISTEN and c.laddr})


def http_status(port: int, path: str) -> int:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"http://127.0.0.1:{port}{path}", timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_the_chapter_cluster_is_loopback_only_and_leaves_nothing_behind() -> None:
    before = set(listening_addresses())
    with loopback_cluster() as client:
        info = client.scheduler_info()
        assert http_status(info["services"]["dashboard"], "/health") == 200
        assert http_status(info["services"]["dashboard"], "/status") == 404, "no dashboard"
        worker_pids = list(client.run(os.getpid).values())
        assert len(worker_pids) == 2
        opened = set(listening_addresses()) - before
        assert opened, "the scheduler and the nannies listen in this process"
        for pid in worker_pids:
            assert psutil.Process(pid).ppid() == os.getpid()
            opened |= set(listening_addresses(pid))
        assert {host for host, _ in opened} == {"127.0.0.1"}

        block = client.submit(make_block, 100_000, 5)
        digest = client.submit(checksum, block)
        counts = client.gather(client.map(count_byte, [block] * 3, range(3)))
        assert digest.result() == checksum(make_block(100_000, 5))
        assert counts == [count_byte(make_block(100_000, 5), v) for v in range(3)]
    assert set(listening_addresses()) - before == set()
    for pid in worker_pids:
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_the_dask_behaviours_that_chapter_9_teaches() -> None:
    """Facts of the installed Dask the chapter relies on; a new version may change them."""
    distributed = pytest.importorskip("dask.distributed")
    dask = pytest.importorskip("dask")
    with loopback_cluster() as client:
        # Dask's serializer falls back to cloudpickle when pickle refuses a closure
        assert client.submit(multiplier(3), 5).result() == 15
        # ClientExecutor.map ignores chunksize: one task per input
        with client.get_executor() as executor, distributed.get_task_stream(client) as stream:
            counts = executor.map(count_byte, [b"aab"] * 4, [97, 98, 99, 100], chunksize=2)
            assert list(counts) == [2, 1, 0, 0]
            # pure=True by default: identical calls share one task and one result
            first, second = executor.map(os.urandom, [16, 16])
            assert first == second
        assert len(stream.data) == 4 + 1
        with client.get_executor(pure=False) as executor:
            first, second = executor.map(os.urandom, [16, 16])
            assert first != second
        # the large-graph warning measures the pickled graph, where a shared block appears once
        block = make_block(1_200_000, 1)
        sizes = {}
        copy = block[:-1] + block[-1:]  # equal bytes, another object
        for name, blocks in {"shared": [block, block], "copies": [block, copy]}.items():
            with dask.config.set({"distributed.admin.large-graph-warning-threshold": "1MB"}), \
                    warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                assert client.gather(client.map(count_byte, blocks, [0, 0], pure=False)) == [
                    count_byte(block, 0)
                ] * 2
            [message] = [str(w.message) for w in caught if "large graph" in str(w.message)]
            sizes[name] = float(message.split("size ")[1].split(" MiB")[0])
        assert sizes["shared"] == pytest.approx(len(block) / 2**20, abs=0.01)
        assert sizes["copies"] == pytest.approx(2 * len(block) / 2**20, abs=0.01)
