"""The JSON side of a GPU round's Python scripts: reading ours (argv[1]) and PyTorch's (argv[2], optional) results
for compare.py and report.py, where a file that is missing or unreadable becomes {"error": reason} so a report still
prints what it has; and, for the PyTorch baselines, torch with CUDA or a JSON error on stdout."""
import json


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        return {"error": str(e)}


def ours_and_torch(argv):
    return load(argv[1]), load(argv[2]) if len(argv) > 2 else {"error": "not run"}


def cuda_torch():
    """The torch module when it has a CUDA device; otherwise prints the reason as JSON and returns None."""
    try:
        import torch
    except ImportError as e:
        print(json.dumps({"error": f"no torch: {e}"}))
        return None
    if not torch.cuda.is_available():
        print(json.dumps({"error": "torch.cuda.is_available() is False", "torch": torch.__version__}))
        return None
    return torch
