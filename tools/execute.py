"""Execute the course's notebooks in place and store clean outputs.

    python tools/execute.py                      # every notebook in book/
    python tools/execute.py book/03_*.ipynb      # some of them

Each notebook runs top to bottom in a fresh kernel of this Python
environment, with ``book/`` as its working directory, exactly as nbval will
re-run it. The stored notebook is then cleaned: one kernelspec, no widget
state, no execution timings, no version-specific ``language_info``, and
consecutive pieces of one stream joined into one output (how a cell's
printing is cut into pieces depends on timing; nbval joins them too).
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

import ipykernel.kernelspec
import nbformat
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parent.parent
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {
    "codemirror_mode": {"name": "ipython", "version": 3},
    "file_extension": ".py",
    "mimetype": "text/x-python",
    "name": "python",
    "nbconvert_exporter": "python",
    "pygments_lexer": "ipython3",
}


class ThisEnvironment(KernelSpecManager):
    """Always start the kernel with this interpreter, whatever kernels are installed."""

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        return self.kernel_spec_class(
            resource_dir=ipykernel.kernelspec.RESOURCES, **ipykernel.kernelspec.get_kernel_dict()
        )


def clean(nb: nbformat.NotebookNode) -> None:
    """Strip what should not be committed."""
    nb.metadata = nbformat.from_dict({"kernelspec": KERNELSPEC, "language_info": LANGUAGE_INFO})
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("collapsed", None)
        cell.metadata.pop("scrolled", None)
        if cell.cell_type == "code":
            cell.outputs = join_streams(cell.get("outputs", []))
            for output in cell.outputs:
                output.get("metadata", {}).pop("transient", None)


def join_streams(outputs: list[nbformat.NotebookNode]) -> list[nbformat.NotebookNode]:
    """The outputs, with each run of consecutive same-stream pieces joined into one.

    Not nbclient's ``NotebookClient(coalesce_streams=True)`` (the same function
    as nbval's ``coalesce_streams``), which does not store the same notebooks:
    it joins *every* piece of a stream in a cell, also across a figure or the
    other stream (moving printed text before a figure it followed, and stdout
    before stderr), and it applies carriage returns and backspaces as a
    terminal would. Chapters 3, 6 and 12 executed both ways gave the same
    outputs (numbers aside, and chapter 6's interleaved printing, which differs
    between any two runs), except chapter 12's two progress bars, which it
    stores as their last state only, without the ``\\r`` frames tqdm wrote.
    nbval applies that function to both sides before comparing, so either way
    tests the same.
    """
    joined: list[nbformat.NotebookNode] = []
    for output in outputs:
        last = joined[-1] if joined else None
        if (output.get("output_type") == "stream" and last is not None
                and last.get("output_type") == "stream" and last.get("name") == output.get("name")):
            last["text"] = "".join(last["text"]) + "".join(output["text"])
        else:
            joined.append(output)
    return joined


def execute(path: pathlib.Path, timeout: int) -> float:
    nb = nbformat.read(path, as_version=4)
    km = KernelManager(kernel_name="python3", kernel_spec_manager=ThisEnvironment())
    client = NotebookClient(
        nb,
        km=km,
        timeout=timeout,
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,
        allow_errors=False,
    )
    start = time.perf_counter()
    try:
        client.execute()
    finally:
        if km.has_kernel:
            km.shutdown_kernel(now=False)
    elapsed = time.perf_counter() - start
    clean(nb)
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=pathlib.Path)
    parser.add_argument("--timeout", type=int, default=120, help="seconds per cell")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "book").glob("*.ipynb"))
    for path in paths:
        print(f"executing {path} ...", end=" ", flush=True)
        try:
            elapsed = execute(path.resolve(), args.timeout)
        except Exception as exc:  # report which notebook failed, then stop
            print("FAILED")
            print(f"{path}: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1
        print(f"{elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
