"""One resource per worker, opened once in the initializer; one writer of the results."""

import csv
import os
import sqlite3
import tempfile
from multiprocessing import Pool

connection = None  # each worker process opens its own


def open_database(path):
    """Pool initializer: runs once in each worker, before its first task."""
    global connection
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def total_for(customer):
    (total,) = connection.execute(
        "SELECT SUM(amount) FROM orders WHERE customer = ?", (customer,)).fetchone()
    return customer, total


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as folder:
        database = os.path.join(folder, "shop.db")
        with sqlite3.connect(database) as setup:
            setup.execute("CREATE TABLE orders (customer TEXT, amount INTEGER)")
            setup.executemany("INSERT INTO orders VALUES (?, ?)",
                              [(name, amount * (i + 1)) for i, name in enumerate("abcd")
                               for amount in range(1, 6)])
        setup.close()
        report = os.path.join(folder, "totals.csv")
        with Pool(2, initializer=open_database, initargs=(database,)) as pool, \
                open(report, "w", newline="") as out:
            writer = csv.writer(out, lineterminator="\n")  # only the parent writes
            for customer, total in pool.imap(total_for, "abcd"):
                writer.writerow([customer, total])
        with open(report) as result:
            print(result.read(), end="")
