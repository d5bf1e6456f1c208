"""Unpack what prepare.sh packed, with Python's standard library only (the GPU machine has no xz or Node).

    python3 unpack_artifacts.py <artifacts dir> <work dir>   ->  <work>/node/bin/node, <work>/llmux/
"""

from __future__ import annotations

import lzma
import os
import shutil
import sys
import tarfile


def main(artifacts: str, work: str) -> None:
    os.makedirs(os.path.join(work, "node", "bin"), exist_ok=True)
    node = os.path.join(work, "node", "bin", "node")
    with lzma.open(os.path.join(artifacts, "node.xz")) as source, open(node, "wb") as target:
        shutil.copyfileobj(source, target, 1 << 22)
    os.chmod(node, 0o755)
    with tarfile.open(os.path.join(artifacts, "llmux.tar.xz")) as archive:
        # Our own archive, written by prepare.sh; "data" refuses links that leave the folder.
        if hasattr(tarfile, "data_filter"):
            archive.extractall(os.path.join(work, "llmux"), filter="data")
        else:
            archive.extractall(os.path.join(work, "llmux"))
    print(f"unpacked {node} ({os.path.getsize(node) // 2**20} MiB) and {os.path.join(work, 'llmux')}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
