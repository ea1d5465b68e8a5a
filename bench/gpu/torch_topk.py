#!/usr/bin/env python3
"""PyTorch baseline for bench/gpu/topk_bench: per-row top-k by |x| on the GPU, on the same shapes.

Prints one JSON document: for each shape the microseconds per call of
  torch_topk_us              torch.topk(x.abs(), k, dim=1, sorted=False)             (indices + |values|)
  torch_topk_sorted_gather_us  the same, then indices sorted ascending and the signed values gathered:
                             the output libmeprop's fused mp_cuda_topk_abs_rows_f32 produces.
Timing: `iters` calls between CUDA events after warm-up, best of `reps`. (PyTorch's tie order is unspecified,
unlike libmeprop's lower-index rule; only speed is compared.)
    python3 bench/gpu/torch_topk.py [--iters N] [--reps R] [--quick]
"""
import argparse
import json
import sys

from bench_json import cuda_torch

SHAPES = [(32, 500, 20), (128, 500, 20), (128, 500, 80), (1024, 2048, 64), (4096, 1024, 32), (256, 8192, 256),
          (256, 10240, 1024), (64, 16384, 128), (64, 65536, 1024), (4096, 65536, 1024)]
QUICK = [(32, 500, 20), (256, 8192, 256), (64, 65536, 1024)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--iters", type=int, default=50)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    torch = cuda_torch()
    if torch is None:
        return 3
    dev = torch.device("cuda:0")
    gen = torch.Generator(device=dev).manual_seed(1)

    def time_us(fn):
        for _ in range(3):
            fn()
        torch.cuda.synchronize()
        best = float("inf")
        for _ in range(args.reps):
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            for _ in range(args.iters):
                fn()
            end.record()
            end.synchronize()
            best = min(best, start.elapsed_time(end) * 1000.0 / args.iters)
        return best

    results = []
    for rows, n, k in (QUICK if args.quick else SHAPES):
        x = torch.randn(rows, n, device=dev, generator=gen)

        def topk():
            return torch.topk(x.abs(), k, dim=1, sorted=False)

        def topk_sorted_gather():
            idx = torch.topk(x.abs(), k, dim=1, sorted=False).indices
            idx, _ = torch.sort(idx, dim=1)
            return idx.to(torch.int32), torch.gather(x, 1, idx)

        results.append({"rows": rows, "n": n, "k": k, "torch_topk_us": round(time_us(topk), 3),
                        "torch_topk_sorted_gather_us": round(time_us(topk_sorted_gather), 3)})
        del x
    print(json.dumps({"device": torch.cuda.get_device_name(0), "torch": torch.__version__,
                      "torch_cuda": torch.version.cuda, "iters": args.iters, "reps": args.reps,
                      "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
