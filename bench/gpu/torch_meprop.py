#!/usr/bin/env python3
"""PyTorch baseline for the end-to-end MLP training step of meprop-gpubench (bench/MePropNative.GpuBench/MlpStep.cs).

The paper's unified meProp linear function (Sun et al., ICML 2017, section 2.2) as a torch.autograd.Function:
forward dense (y = x W^T + b); backward: the k columns of dy with the largest sum of |dy| over the batch (top-k of the
column sums), dy gathered to those k columns, two small matmuls (dx = dy_k W_k, dW_k = dy_k^T x), dW scattered back
into the k rows (the rest zero), db = the column sums of the whole dy (as the reference code does).

Model 784-H-H-10, ReLU, no dropout, cross-entropy, Adam (lr 1e-4): the two hidden layers use the meProp function
(k = 4% of H, 20 for H = 500), the output layer is a plain nn.Linear; "dense" uses nn.Linear everywhere. FP32 matmuls
(TF32 off, as cuBLAS in libmeprop's backend). One step = forward + loss + backward + Adam, synthetic data; timed with
CUDA events: warm-up, then the median over rounds of `reps` steps.

    python3 bench/gpu/torch_meprop.py [--hidden 500,4096] [--batch 128,1024] [--reps N] [--rounds N] [--quick] [--check]

--check first verifies the meProp function's gradients against a dense backward of dy masked to the same k columns
(and exits non-zero on a mismatch). Prints one JSON document.
"""
import argparse
import json
import sys

from bench_json import cuda_torch


def build(torch):
    class UnifiedMeProp(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, weight, bias, k):
            ctx.save_for_backward(x, weight)
            ctx.k = k
            return torch.addmm(bias, x, weight.t())

        @staticmethod
        def backward(ctx, dy):
            x, weight = ctx.saved_tensors
            k = ctx.k
            idx = dy.abs().sum(0).topk(k, sorted=False).indices          # unified pattern: k output columns
            dy_k = dy.index_select(1, idx)                               # batch x k      (gather)
            dx = dy_k.mm(weight.index_select(0, idx))                    # batch x m
            dw = torch.zeros_like(weight)
            dw.index_copy_(0, idx, dy_k.t().mm(x))                       # k x m, scattered into n x m
            db = dy.sum(0)
            return dx, dw, db, None

    class MePropLinear(torch.nn.Linear):
        def __init__(self, m, n, k):
            super().__init__(m, n)
            self.k = k

        def forward(self, x):
            return UnifiedMeProp.apply(x, self.weight, self.bias, self.k)

    def mlp(hidden, k):
        lin = (lambda m, n: MePropLinear(m, n, k)) if k else torch.nn.Linear
        return torch.nn.Sequential(lin(784, hidden), torch.nn.ReLU(), lin(hidden, hidden), torch.nn.ReLU(),
                                   torch.nn.Linear(hidden, 10))

    return UnifiedMeProp, mlp


def check(torch, UnifiedMeProp, dev):
    """Gradients of the function against the dense backward of dy masked to the same columns."""
    g = torch.Generator(device=dev).manual_seed(3)
    batch, m, n, k = 16, 30, 50, 7
    x = torch.randn(batch, m, device=dev, generator=g, dtype=torch.float64, requires_grad=True)
    w = torch.randn(n, m, device=dev, generator=g, dtype=torch.float64, requires_grad=True)
    b = torch.randn(n, device=dev, generator=g, dtype=torch.float64, requires_grad=True)
    dy = torch.randn(batch, n, device=dev, generator=g, dtype=torch.float64)
    UnifiedMeProp.apply(x, w, b, k).backward(dy)
    idx = dy.abs().sum(0).topk(k).indices
    mask = torch.zeros(n, device=dev, dtype=torch.float64)
    mask[idx] = 1.0
    dym = dy * mask
    ok = (torch.allclose(x.grad, dym.mm(w.detach()), atol=1e-10) and torch.allclose(w.grad, dym.t().mm(x.detach()), atol=1e-10)
          and torch.allclose(b.grad, dy.sum(0), atol=1e-10))
    return bool(ok)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--hidden", default="500,4096")
    parser.add_argument("--batch", default="128,1024")
    parser.add_argument("--kfrac", type=float, default=0.04)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    torch = cuda_torch()
    if torch is None:
        return 3
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    dev = torch.device("cuda:0")
    UnifiedMeProp, mlp = build(torch)
    checked = None
    if args.check:
        checked = check(torch, UnifiedMeProp, dev)
        if not checked:
            print(json.dumps({"error": "UnifiedMeProp gradients differ from the masked dense reference"}))
            return 1
    hidden = [int(h) for h in args.hidden.split(",")]
    batches = [int(b) for b in args.batch.split(",")]
    if args.quick:
        batches, args.reps, args.rounds = batches[:1], 5, 3
    torch.manual_seed(1)
    rows = []
    for h in hidden:
        for batch in batches:
            k = max(1, round(args.kfrac * h))
            x = torch.rand(batch, 784, device=dev)
            y = torch.randint(0, 10, (batch,), device=dev)
            for name, kk in (("dense", 0), ("unified", k)):
                model = mlp(h, kk).to(dev)
                opt = torch.optim.Adam(model.parameters(), lr=1e-4)
                loss_fn = torch.nn.CrossEntropyLoss()

                def step():
                    opt.zero_grad(set_to_none=False)
                    loss_fn(model(x), y).backward()
                    opt.step()

                for _ in range(args.warmup):
                    step()
                torch.cuda.synchronize()
                samples = []
                for _ in range(args.rounds):
                    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                    start.record()
                    for _ in range(args.reps):
                        step()
                    end.record()
                    end.synchronize()
                    samples.append(start.elapsed_time(end) / args.reps)
                samples.sort()
                rows.append({"hidden": h, "batch": batch, "strategy": name, "k": kk or h,
                             "step_ms": samples[len(samples) // 2], "min_ms": samples[0]})
                del model, opt
                torch.cuda.empty_cache()
    print(json.dumps({"device": torch.cuda.get_device_name(0), "torch": torch.__version__, "cuda": torch.version.cuda,
                      "tf32": False, "checked": checked, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
