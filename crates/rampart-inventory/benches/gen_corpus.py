#!/usr/bin/env python3
"""Synthetic corpora for the inventory speed figures (docs/benchmarks/inventory.md).

    gen_corpus.py repo DIR [FILES]     a repository-like tree (default 10,000 files)
    gen_corpus.py data DIR [MB]        CSV + JSONL with text and PII (default 200 MB in all)

Deterministic (fixed seed). Key- and PII-shaped values are synthetic; the
keys are assembled at run time so that none sits in the source tree.
"""
import json
import os
import random
import struct
import sys

R = random.Random(6)
WORDS = (
    "the model data training user request answer server please account order invoice "
    "support team question payment shipping review product delivery number update "
    "password reset login error report weekly meeting customer service ticket refund "
    "release version build test deploy cluster node memory prompt token dataset label"
).split()


def sentence(n):
    w = [R.choice(WORDS) for _ in range(n)]
    if R.random() < 0.3:
        w.insert(R.randrange(len(w)), str(R.randrange(10, 99999)))
    if R.random() < 0.1:
        w.insert(R.randrange(len(w)), "2024-%02d-%02d" % (R.randrange(1, 13), R.randrange(1, 29)))
    return " ".join(w).capitalize() + "."


def luhn_card():
    d = [4] + [R.randrange(10) for _ in range(14)]
    s = 0
    for i, x in enumerate(reversed(d)):
        y = x * 2 if i % 2 == 0 else x
        s += y - 9 if y > 9 else y
    d.append((10 - s % 10) % 10)
    s = "".join(map(str, d))
    return " ".join(s[i:i + 4] for i in range(0, 16, 4))


def pii():
    k = R.randrange(7)
    if k == 0:
        return "mail me at user%d@example.org" % R.randrange(10**6)
    if k == 1:
        return "call +1 415 %03d %04d" % (R.randrange(200, 999), R.randrange(10**4))
    if k == 2:
        return "ssn %03d-%02d-%04d" % (R.randrange(100, 600), R.randrange(10, 99), R.randrange(1000, 9999))
    if k == 3:
        return "card " + luhn_card()
    if k == 4:
        return "from host 10.%d.%d.%d" % (R.randrange(256), R.randrange(256), R.randrange(1, 255))
    if k == 5:
        return "token " + "ghp_" + "".join(R.choice("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789") for _ in range(36))
    return "write to support@corp.example or call (555) 123-%04d" % R.randrange(10**4)


def text_cell():
    t = sentence(R.randrange(8, 30))
    if R.random() < 0.08:
        t = t[:-1] + ", " + pii() + "."
    return t


def data(out, mb):
    os.makedirs(out, exist_ok=True)
    half = mb * 1024 * 1024 // 2
    with open(os.path.join(out, "big.csv"), "w", newline="") as f:
        f.write("id,text,email,country,label\n")
        i = 0
        while f.tell() < half:
            email = "person%d@mail-example.net" % i if i % 40 == 0 else ""
            t = text_cell().replace('"', "'")
            f.write('%d,"%s",%s,%s,%d\n' % (i, t, email, R.choice(["US", "DE", "FR", "GB"]), i % 3))
            i += 1
    with open(os.path.join(out, "big.jsonl"), "w") as f:
        i = 0
        while f.tell() < half:
            rec = {
                "id": i,
                "prompt": text_cell(),
                "response": sentence(R.randrange(10, 40)),
                "meta": {"src": R.choice(["web", "app", "api"]), "ip": "192.168.%d.%d" % (i % 250, i % 200) if i % 50 == 0 else ""},
                "label": R.choice(["benign", "jailbreak"]),
            }
            f.write(json.dumps(rec) + "\n")
            i += 1


def safetensors():
    h = b'{"__metadata__":{"format":"pt"}}'
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + bytes(2048)


def notebook(i):
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Experiment %d\n" % i]},
        {"cell_type": "code", "metadata": {}, "execution_count": 1, "outputs": [],
         "source": ["from openai import OpenAI\n", "client = OpenAI()\n",
                    "r = client.chat.completions.create(model=\"gpt-4o-mini\", messages=[])\n"]},
        {"cell_type": "code", "metadata": {}, "execution_count": 2,
         "outputs": [{"output_type": "stream", "name": "stdout", "text": ["%s\n" % sentence(12)] * 20}],
         "source": ["import pandas as pd\n", "df = pd.read_csv('data.csv')\n", "df.head()\n"]},
    ]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1)


def repo(out, files):
    openai_key = "sk-proj-" + "Zq8Xw2Lk5Vb7Nm3Rt6Yp9Hs4Jd1Gf0Ac2Ee5Tu8Io3Pa7Sd"
    for i in range(files):
        d = os.path.join(out, "pkg%d" % (i % 60), "sub%d" % (i % 9))
        os.makedirs(d, exist_ok=True)
        k = i % 40
        if k in (0, 1):
            name, body = "train%d.py" % i, (
                "import torch\nfrom transformers import AutoModelForCausalLM, AutoTokenizer\n"
                "m = AutoModelForCausalLM.from_pretrained(\"org/model-%d\")\n"
                "w = torch.load('w.pt')\n" % i + "# %s\n" % sentence(20) * 30)
        elif k == 2:
            name, body = "agent%d.py" % i, (
                "import anthropic\nclient = anthropic.Anthropic()\n"
                "msg = client.messages.create(model=\"claude-3-5-sonnet-latest\", max_tokens=10, messages=[])\n"
                + ("OPENAI_API_KEY = \"%s\"\n" % openai_key if i % 400 == 2 else ""))
        elif k in (3, 4):
            name, body = "chat%d.ts" % i, (
                "import OpenAI from 'openai';\nconst c = new OpenAI();\n"
                "const r = await c.chat.completions.create({ model: 'gpt-4o-mini', messages: [] });\n"
                + "// %s\n" % sentence(15) * 20)
        elif k in (5, 6):
            name, body = "cfg%d.yaml" % i, "llm:\n  base_url: https://api.openai.com/v1\n  model: gpt-4o\nvector:\n  url: http://qdrant:6333\n" + "# %s\n" % sentence(10) * 10
        elif k == 7:
            name, body = "explore%d.ipynb" % i, notebook(i)
        elif k == 8:
            name, body = "w%d.safetensors" % i, safetensors()
        elif k == 9:
            name, body = "m%d.pkl" % i, b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01a\x94K\x01s."
        elif k == 10:
            name, body = "d%d.csv" % i, "text,label\n" + "".join("%s,%d\n" % (sentence(8), j % 2) for j in range(40))
        elif k == 11:
            name, body = "d%d.jsonl" % i, "".join(json.dumps({"text": sentence(8), "label": j % 2}) + "\n" for j in range(40))
        elif k == 12 and i % 200 == 12:
            name, body = "card%d/README.md" % i, "---\nlicense: apache-2.0\npipeline_tag: text-generation\nbase_model: meta-llama/Llama-3.1-8B\n---\n# Model\n"
        elif k == 13 and i % 400 == 13:
            name, body = "svc%d/docker-compose.yml" % i, "services:\n  vllm:\n    image: vllm/vllm-openai:latest\n    ports:\n      - \"8000:8000\"\n"
        elif k == 14 and i % 400 == 14:
            name, body = "infra%d/main.tf" % i, "resource \"aws_sagemaker_endpoint\" \"e\" {\n  name = \"e\"\n}\n"
        elif k in (15, 16, 17, 18):
            name, body = "doc%d.md" % i, "# Notes\n\n" + "\n".join(sentence(20) for _ in range(30))
        else:
            name, body = "mod%d.py" % i, "import os\n\ndef f%d(x):\n    return x + 1\n\n" % i + "# %s\n" % sentence(12) * 40
        mode = "wb" if isinstance(body, bytes) else "w"
        p = os.path.join(d, name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, mode) as f:
            f.write(body)


if __name__ == "__main__":
    what, out = sys.argv[1], sys.argv[2]
    if what == "repo":
        repo(out, int(sys.argv[3]) if len(sys.argv) > 3 else 10_000)
    elif what == "data":
        data(out, int(sys.argv[3]) if len(sys.argv) > 3 else 200)
    else:
        sys.exit("usage: gen_corpus.py repo|data DIR [N]")
