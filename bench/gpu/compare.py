#!/usr/bin/env python3
"""Merges topk_bench.json (libmeprop) and torch_topk.json (PyTorch) into markdown tables on stdout.
    python3 bench/gpu/compare.py OUT/topk_bench.json [OUT/torch_topk.json]
"""
import sys

from bench_json import ours_and_torch


def main():
    ours, torch = ours_and_torch(sys.argv)
    if "results" not in ours:
        print(f"libmeprop benchmark missing: {ours.get('error', 'no results')}")
        return 0
    by_shape = {(r["rows"], r["n"], r["k"]): r for r in torch.get("results", [])}
    print("Top-k per row by |x| (microseconds per call, lower is better):\n")
    print("| rows x n | k | fused (idx+val) | idx only | unfused (idx, then gather) | torch.topk | torch topk+sort+gather | speed-up of fused over torch topk+sort+gather |")
    print("|---|---|---|---|---|---|---|---|")
    for r in ours["results"]:
        t = by_shape.get((r["rows"], r["n"], r["k"]), {})
        tt, tg = t.get("torch_topk_us"), t.get("torch_topk_sorted_gather_us")
        ratio = f"{tg / r['topk_fused_us']:.2f}x" if tg else "n/a"
        print(f"| {r['rows']} x {r['n']} | {r['k']} | {r['topk_fused_us']:.1f} | {r['topk_idx_us']:.1f} | "
              f"{r['topk_unfused_us']:.1f} | {tt if tt is not None else 'n/a'} | {tg if tg is not None else 'n/a'} | {ratio} |")
    if "results" not in torch:
        print(f"\n(PyTorch baseline not available: {torch.get('error')})")
    print(f"\nOther kernels (microseconds per call; dx/dW with m = {ours.get('m')}):\n")
    print("| rows x n | k | unified top-k | random-k | sparse dx | dW sorted (deterministic) | dW atomic |")
    print("|---|---|---|---|---|---|---|")
    for r in ours["results"]:
        print(f"| {r['rows']} x {r['n']} | {r['k']} | {r['unified_us']:.1f} | {r['randk_us']:.1f} | {r['dx_us']:.1f} | "
              f"{r['dw_sorted_us']:.1f} | {r['dw_atomic_us']:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
