"""Count the primes below 80,000 in four chunks, one per worker process."""

import os
from multiprocessing import Pool


def count_primes(bounds):
    """Count the primes in range(start, stop) by trial division."""
    start, stop = bounds
    count = 0
    for n in range(max(start, 2), stop):
        if all(n % d for d in range(2, int(n**0.5) + 1)):
            count += 1
    return count, os.getpid()


if __name__ == "__main__":
    chunks = [(i, i + 20_000) for i in range(0, 80_000, 20_000)]
    with Pool(len(chunks)) as pool:  # four worker processes, one per chunk
        answers = pool.map(count_primes, chunks)
    counts = [count for count, pid in answers]
    print("primes per chunk:", counts)
    print("primes below 80000:", sum(counts))
    print("same as counting here:", counts == [count_primes(c)[0] for c in chunks])
    print("every chunk counted in another process:",
          all(pid != os.getpid() for count, pid in answers))
