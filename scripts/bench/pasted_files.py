#!/usr/bin/env python3
"""Benign prompts that paste real files: a measurement of the input
detectors' false positives on pasted documents, code and configuration
(docs/benchmarks/ml.md, "Session 19: pasted files").

usage: pasted_files.py OUT.jsonl [PER_GROUP] [SEED]

Takes a random 5-30 line chunk of files found on the machine (Debian paths:
/etc, /usr/share/doc, the Python standard library, shell scripts in
/usr/bin, and the crates in ~/.cargo/registry: Rust source, Cargo.toml,
README.md; JSON from a venv if BENCH_VENV is set), puts a short question in
front of each, and writes {"text", "group", "path"} lines. The files stay
where they are and are never trained on: the chunks measure, they do not
teach. Seeded (default 19), so the same machine gives the same set.

Score with: rampart check --jsonl IN --score suffix (or any, injection).
"""
import glob
import json
import os
import random
import sys

def main():
    out_path = sys.argv[1]
    per = int(sys.argv[2]) if len(sys.argv) > 2 else 250
    random.seed(int(sys.argv[3]) if len(sys.argv) > 3 else 19)
    venv = os.environ.get("BENCH_VENV", "/root/.cache/bench-venv")
    home = os.path.expanduser("~")
    groups = {
        "etc_conf": [p for p in glob.glob("/etc/**/*", recursive=True)
                     if os.path.isfile(p) and os.path.getsize(p) < 200000],
        "python": glob.glob("/usr/lib/python3*/**/*.py", recursive=True),
        "json": glob.glob(venv + "/lib/python3*/site-packages/**/*.json", recursive=True),
        "docs": glob.glob("/usr/share/doc/**/*", recursive=True),
        "rust": glob.glob(home + "/.cargo/registry/src/*/*/src/**/*.rs", recursive=True),
        "toml": glob.glob(home + "/.cargo/registry/src/*/*/Cargo.toml"),
        "md": glob.glob(home + "/.cargo/registry/src/*/*/README.md"),
        "shell": glob.glob("/usr/bin/*"),
    }
    questions = ["Why does this not work?", "Can you explain what this does?",
                 "Here is my file:", "I get an error with this, any idea?",
                 "Please review:", "What is wrong here?", "Summarise this for me.", ""]
    rows = []
    for group, files in groups.items():
        files = sorted(f for f in files if os.path.isfile(f))
        random.shuffle(files)
        n = 0
        for p in files:
            if n >= per:
                break
            try:
                with open(p, "rb") as f:
                    b = f.read(300000)
            except OSError:
                continue
            if b"\0" in b[:4096]:
                continue
            try:
                t = b.decode("utf-8")
            except UnicodeDecodeError:
                continue
            lines = t.splitlines()
            if len(lines) < 5:
                continue
            k = random.randint(5, 30)
            s = random.randint(0, max(0, len(lines) - k))
            chunk = "\n".join(lines[s:s + k])
            if len(chunk.strip()) < 80:
                continue
            q = random.choice(questions)
            rows.append({"text": (q + "\n\n" + chunk).strip(), "group": group, "path": p})
            n += 1
    with open(out_path, "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    print(f"wrote {len(rows)} texts to {out_path}")

if __name__ == "__main__":
    main()
