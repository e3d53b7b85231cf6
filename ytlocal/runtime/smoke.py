"""The child process of :func:`ytlocal.runtime.native.probe`: loads each model named on the command
line as ytlocal loads it, runs it once (two tokens generated, one sentence embedded) and prints one
JSON line saying what ran. If llama.cpp crashes here, only this process dies.

    python -m ytlocal.runtime.smoke [--chat CHAT.gguf] [--embedding EMBEDDING.gguf] [--gpu-layers N]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main(arguments: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m ytlocal.runtime.smoke")
    parser.add_argument("--chat", type=Path)
    parser.add_argument("--embedding", type=Path)
    parser.add_argument("--gpu-layers", type=int, default=0)
    options = parser.parse_args(arguments)
    from ..registry import ResolvedModel

    done = []
    if options.chat:
        from .llm import LlamaBackend, SamplingOptions

        backend = LlamaBackend(ResolvedModel(options.chat.stem, "llm", options.chat, "-"), n_ctx=256,
                               n_gpu_layers=options.gpu_layers)
        answer = backend.chat([{"role": "user", "content": "Say yes."}], 2, SamplingOptions())
        backend.close()
        done.append(f"generated {answer.completion_tokens} tokens with {options.chat.name}")
    if options.embedding:
        from .embedding import LlamaEmbedder

        embedder = LlamaEmbedder(ResolvedModel(options.embedding.stem, "embedding", options.embedding, "-"))
        vector = embedder.embed(["A sentence to embed."])
        embedder.close()
        done.append(f"embedded a sentence with {options.embedding.name} ({vector.shape[1]} dimensions)")
    print(json.dumps({"done": done}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
