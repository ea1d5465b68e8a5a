#!/usr/bin/env python3
"""Puts libmeprop's MLP training step (meprop-gpubench: mlp_step.json) next to PyTorch's (torch_meprop.py) as a markdown
table on stdout: ours unified vs PyTorch unified (the paper's meProp function), and both dense.
    python3 bench/gpu/report.py OUT/bench/mlp_step.json OUT/torch_meprop.json
"""
import sys

from bench_json import ours_and_torch


def main():
    ours, torch = ours_and_torch(sys.argv)
    if "rows" not in ours:
        print(f"meprop-gpubench MLP step results missing: {ours.get('error', 'no rows')}")
        return 0
    theirs = {(r["hidden"], r["batch"], r["strategy"]): r for r in torch.get("rows", [])}
    print("MLP 784-H-H-10 training step (forward + loss + backward + Adam), milliseconds per step (median), "
          "unified meProp with k = 4% of H in both hidden layers. Ratio = PyTorch / ours (> 1: ours faster).\n")
    print("| model | batch | ours dense | PyTorch dense | dense ratio | ours unified | PyTorch unified (meProp Function) | unified ratio |")
    print("|---|---|---|---|---|---|---|---|")
    keys = sorted({(r["hidden"], r["batch"]) for r in ours["rows"]})
    for h, b in keys:
        cells = []
        for s in ("dense", "unified"):
            o = next((r for r in ours["rows"] if (r["hidden"], r["batch"], r["strategy"]) == (h, b, s)), None)
            t = theirs.get((h, b, s))
            cells += [f"{o['step_ms']:.3f}" if o else "n/a", f"{t['step_ms']:.3f}" if t else "n/a",
                      f"{t['step_ms'] / o['step_ms']:.2f}x" if o and t else "n/a"]
        print(f"| 784-{h}-{h}-10 | {b} | " + " | ".join(cells) + " |")
    if "rows" not in torch:
        print(f"\n(PyTorch baseline not available: {torch.get('error')})")
    else:
        print(f"\nPyTorch {torch.get('torch')} (CUDA {torch.get('cuda')}) on {torch.get('device')}, TF32 off; "
              f"meProp Function gradient check: {torch.get('checked')}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
