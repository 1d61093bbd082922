"""The program from the question of chapter 5: a pool of four processes squares five numbers."""

import multiprocessing


def square(x):
    return x * x


if __name__ == "__main__":
    # Create a pool of 4 worker processes
    pool = multiprocessing.Pool(processes=4)

    # Define a list of numbers
    numbers = [1, 2, 3, 4, 5]

    # Submit tasks to the pool
    results = [pool.apply_async(square, (num,)) for num in numbers]

    # Retrieve results
    output = [result.get() for result in results]

    # Close the pool
    pool.close()

    # Wait for completion
    pool.join()

    # Print the output
    print(output)
