"""Nested pools: a Pool's workers may not start processes; flatten the work instead."""

from multiprocessing import Pool, Process


def count_words(line):
    return len(line.split())


def count_in_document(lines):
    # starting any process here fails: a pool inside this worker would start
    # its own workers the same way, and fail the same way
    helper = Process(target=count_words, args=(lines[0],))
    helper.start()
    helper.join()
    return sum(count_words(line) for line in lines)


def try_nested(documents):
    with Pool(2) as outer:
        try:
            return outer.map(count_in_document, documents)
        except AssertionError as error:
            return f"AssertionError: {error}"


if __name__ == "__main__":
    documents = [["a b c", "d e"], ["f", "g h i j"], ["k l"]]
    print("nested:", try_nested(documents))
    # Flatten: one pool, one task per line, then add up per document in the parent.
    with Pool(2) as pool:
        counts = pool.map(count_words, [line for doc in documents for line in doc])
    totals, start = [], 0
    for doc in documents:
        totals.append(sum(counts[start:start + len(doc)]))
        start += len(doc)
    print("flat:  ", totals)
