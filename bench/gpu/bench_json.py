"""Reading the JSON results of a GPU round for compare.py and report.py: ours (argv[1]) and PyTorch's (argv[2],
optional); a file that is missing or unreadable becomes {"error": reason}, so a report still prints what it has."""
import json


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        return {"error": str(e)}


def ours_and_torch(argv):
    return load(argv[1]), load(argv[2]) if len(argv) > 2 else {"error": "not run"}
