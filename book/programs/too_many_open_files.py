"""Too many open files: every pipe, queue and process holds file descriptors until closed."""

import multiprocessing

try:
    import resource  # POSIX only
except ImportError:
    resource = None


def open_pipes_until_it_fails():
    pipes = []
    try:
        while True:
            pipes.append(multiprocessing.Pipe())  # two descriptors each
    except OSError as error:
        print(f"a new pipe failed: {type(error).__name__}: {error}")
    finally:
        for reader, writer in pipes:
            reader.close()
            writer.close()


if __name__ == "__main__":
    if resource is None:
        print("this demonstration needs the resource module (Linux, macOS)")
    else:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, hard))  # a small limit, to fail fast
        open_pipes_until_it_fails()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        print("after closing them, a new pipe opens:", bool(multiprocessing.Pipe()))
