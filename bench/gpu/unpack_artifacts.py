"""Unpack what prepare.sh packed, with Python's standard library only (the GPU machine has no xz or Node).

    python3 unpack_artifacts.py <artifacts dir> <work dir>   ->  <work>/node/bin/node, <work>/llmux/
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile

try:
    import lzma
except ImportError:  # a Python built without liblzma: fall back on the xz program
    lzma = None


def main(artifacts: str, work: str) -> None:
    os.makedirs(os.path.join(work, "node", "bin"), exist_ok=True)
    node = os.path.join(work, "node", "bin", "node")
    if lzma is not None:
        with lzma.open(os.path.join(artifacts, "node.xz")) as source, open(node, "wb") as target:
            shutil.copyfileobj(source, target, 1 << 22)
    else:
        with open(node, "wb") as target:
            subprocess.run(["xz", "-dc", os.path.join(artifacts, "node.xz")], stdout=target, check=True)
    os.chmod(node, 0o755)
    target = os.path.join(work, "llmux")
    os.makedirs(target, exist_ok=True)
    if lzma is None:
        subprocess.run(["tar", "-C", target, "-xJf", os.path.join(artifacts, "llmux.tar.xz")], check=True)
    else:
        with tarfile.open(os.path.join(artifacts, "llmux.tar.xz")) as archive:
            # Our own archive, written by prepare.sh; "data" refuses links that leave the folder.
            if hasattr(tarfile, "data_filter"):
                archive.extractall(target, filter="data")
            else:
                archive.extractall(target)
    print(f"unpacked {node} ({os.path.getsize(node) // 2**20} MiB) and {os.path.join(work, 'llmux')}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
