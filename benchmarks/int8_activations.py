"""Would int8 arithmetic make `claimbot index` fast enough? The shipped model against its dynamic int8 build.

    pip install onnx sympy          # the build's tools only; claimbot needs neither
    python benchmarks/int8_activations.py [--texts 3000]

The shipped file stores int8 weights that onnxruntime expands to float32 at load, so every product
is computed in float32 (~21 MFLOP a token). A dynamically quantised build computes the weight
products in int8 (MatMulInteger, VNNI or AMX where the CPU has them), quantising each activation
tensor with a scale of its own. Built here from the shipped file: its float32 graph as onnxruntime
optimises it, Gelu fused (SkipLayerNormalization left out: onnxruntime's kernel for it was slower
than LayerNormalization and Add here), then `quantize_dynamic` with per-channel int8 weights.

Printed for both on one core: texts/s encoded in length-sorted batches of 32 and one at a time
(CheckThat! claims and titles), the cosine of each text's vector to the shipped model's, and, for
the int8 build, the cosine between a text encoded alone and in a batch of 32: the activation scale
is the whole batch's, so a text's vector would depend on the texts encoded with it.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot import sentence_model  # noqa: E402
from bot.matching.semantic import Encoder  # noqa: E402

VCLAIMS = ROOT / "benchmarks/data/checkthat2022-2a-en/vclaims.jsonl"


def texts(limit: int) -> list[str]:
    found: list[str] = []
    with VCLAIMS.open(encoding="utf-8") as lines:
        for line in lines:
            review = json.loads(line)
            found += [review[key] for key in ("vclaim", "title") if review.get(key)]
            if len(found) >= limit:
                break
    return found[:limit]


def build_int8(into: Path) -> Path:
    import onnxruntime
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers import optimizer
    from onnxruntime.transformers.fusion_options import FusionOptions

    float32 = into / "float32.onnx"
    options = onnxruntime.SessionOptions()
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_BASIC
    options.optimized_model_filepath = str(float32)
    shipped = str(sentence_model.model_file())
    onnxruntime.InferenceSession(shipped, options, providers=["CPUExecutionProvider"])
    fusion = FusionOptions("bert")
    fusion.enable_skip_layer_norm = False
    fused = optimizer.optimize_model(
        str(float32),
        model_type="bert",
        num_heads=12,
        hidden_size=384,
        opt_level=0,
        optimization_options=fusion,
    )
    fused.save_model_to_file(str(into / "fused.onnx"))
    int8 = into / "int8.onnx"
    quantize_dynamic(str(into / "fused.onnx"), str(int8), weight_type=QuantType.QInt8, per_channel=True)
    return int8


def encoder(path: Path, batch_size: int) -> Encoder:
    """The shipped file as claimbot runs it; the int8 build without onnxruntime's SkipLayerNorm fusion."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    disabled = [] if path == sentence_model.model_file() else ["SkipLayerNormFusion"]
    session = onnxruntime.InferenceSession(
        str(path), options, providers=["CPUExecutionProvider"], disabled_optimizers=disabled
    )
    tokenizer = sentence_model.runtime(1)[1]
    made = Encoder(batch_size=batch_size, threads=1)
    made._load = lambda: (session, tokenizer)  # type: ignore[method-assign]
    return made


def rate(make: Encoder, sample: list[str]) -> float:
    make.encode(sample[:64])  # warm
    started = time.perf_counter()
    make.encode(sample)
    return len(sample) / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=3000)
    args = parser.parse_args()
    sample = texts(args.texts)
    with tempfile.TemporaryDirectory() as work:
        int8 = build_int8(Path(work))
        shipped = sentence_model.model_file()
        reference = encoder(shipped, 32).encode(sample)
        print(f"{len(sample)} CheckThat! claims and titles, one core")
        print(f"{'model':>8} {'batched/s':>10} {'alone/s':>8}  cosine to shipped (min / mean)")
        for name, path in (("shipped", shipped), ("int8", int8)):
            batched, alone = encoder(path, 32), encoder(path, 1)
            vectors = batched.encode(sample)
            cosine = (vectors * reference).sum(axis=1)
            print(
                f"{name:>8} {rate(batched, sample):>10.0f} {rate(alone, sample[:500]):>8.0f}  "
                f"{cosine.min():.4f} / {cosine.mean():.4f}"
            )
        alone, together = encoder(int8, 1).encode(sample[:500]), encoder(int8, 32).encode(sample[:500])
        apart = (alone * together).sum(axis=1)
        print(f"int8, a text alone against in a batch of 32: cosine {apart.min():.4f} / {np.mean(apart):.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
