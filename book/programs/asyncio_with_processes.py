"""asyncio with processes: CPU work in a process pool, blocking calls in a thread."""

import asyncio
import time
from concurrent.futures import ProcessPoolExecutor


def count_primes(limit):
    """CPU-bound: it would hold the GIL, and the event loop, for its whole run."""
    return sum(all(n % d for d in range(2, int(n**0.5) + 1)) for n in range(2, limit))


def read_sensor(name):
    """Blocking I/O: waits without using a CPU."""
    time.sleep(0.1)
    return f"{name}: ok"


async def main():
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(2) as pool:
        cpu_work = [loop.run_in_executor(pool, count_primes, n) for n in (20_000, 30_000)]
        io_work = [asyncio.to_thread(read_sensor, name) for name in ("door", "window")]
        primes = await asyncio.gather(*cpu_work)
        sensors = await asyncio.gather(*io_work)
    print("primes below 20000 and 30000:", primes)
    print("sensors:", sensors)


if __name__ == "__main__":
    asyncio.run(main())
