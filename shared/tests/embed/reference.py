"""Independent reference for all-MiniLM-L6-v2 sentence embeddings: BERT forward in numpy
(float64) from model.safetensors, tokenized by HF `tokenizers` from tokenizer.json, truncation
256 (sentence_bert_config max_seq_length), mean pooling over the attention mask, L2 norm."""
import sys, json, math
import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer

d = sys.argv[1]
w = {k: v.astype(np.float64) for k, v in load_file(f"{d}/model.safetensors").items()}
tok = Tokenizer.from_file(f"{d}/tokenizer.json")
tok.no_padding(); tok.enable_truncation(256)

def ln(x, g, b, eps=1e-12):
    m = x.mean(-1, keepdims=True); v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * g + b

def gelu(x):  # exact erf gelu, as HF "gelu"
    from math import erf
    return 0.5 * x * (1 + np.vectorize(erf)(x / math.sqrt(2)))

def lin(x, p):
    return x @ w[p + ".weight"].T + w[p + ".bias"]

def embed(text):
    e = tok.encode(text)
    ids = np.array(e.ids); n = len(ids)
    x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:n] + w["embeddings.token_type_embeddings.weight"][0]
    x = ln(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
    H, dh = 12, 32
    for i in range(6):
        p = f"encoder.layer.{i}."
        q = lin(x, p + "attention.self.query").reshape(n, H, dh).transpose(1, 0, 2)
        k = lin(x, p + "attention.self.key").reshape(n, H, dh).transpose(1, 0, 2)
        v = lin(x, p + "attention.self.value").reshape(n, H, dh).transpose(1, 0, 2)
        a = q @ k.transpose(0, 2, 1) / math.sqrt(dh)
        a = np.exp(a - a.max(-1, keepdims=True)); a /= a.sum(-1, keepdims=True)
        c = (a @ v).transpose(1, 0, 2).reshape(n, H * dh)
        x = ln(lin(c, p + "attention.output.dense") + x, w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"])
        h = gelu(lin(x, p + "intermediate.dense"))
        x = ln(lin(h, p + "output.dense") + x, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
    m = x.mean(0)
    return m / np.linalg.norm(m)

pairs = json.load(open(sys.argv[2]))
out = []
for a, b in pairs:
    s = float(embed(a) @ embed(b))
    out.append([a, b, round(s, 4)])
    print(f"{s:.4f}  {a!r} ~ {b!r}")
if len(sys.argv) > 3:
    v = embed(pairs[0][0]); print("first 8 of", repr(pairs[0][0]), [round(float(t), 5) for t in v[:8]])
