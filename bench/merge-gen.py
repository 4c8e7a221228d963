#!/usr/bin/env python3
# gen.py OUT SEED TUNE(0/1) [fisher]: $TENSORS (default 16) bf16 tensors of 4096x2048 (16 MiB each), base weights from seed 0,
# a fine-tune adds 1% noise from SEED; "fisher" writes f32 squared-noise tensors of the same names instead.
import os, sys, json, struct, numpy as np
out, seed, tune = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]); fisher = len(sys.argv) > 4
names = [f"layers.{i}.w" for i in range(int(os.environ.get("TENSORS", "16")))]; shape = (4096, 2048)
hdr = {}; off = 0; dt = "F32" if fisher else "BF16"; size = shape[0]*shape[1]*(4 if fisher else 2)
for n in names: hdr[n] = {"dtype": dt, "shape": list(shape), "data_offsets": [off, off+size]}; off += size
h = json.dumps(hdr, separators=(",", ":")).encode(); h += b" " * ((8 - len(h) % 8) % 8)
def bf16(a):
    u = a.astype(np.float32).view(np.uint32); u = (u + 0x7fff + ((u >> 16) & 1)) >> 16; return u.astype(np.uint16).tobytes()
with open(out, "wb") as f:
    f.write(struct.pack("<Q", len(h))); f.write(h)
    for i, n in enumerate(names):
        base = np.random.default_rng(i).standard_normal(shape, dtype=np.float32) * 0.02
        noise = np.random.default_rng(seed * 1000 + i).standard_normal(shape, dtype=np.float32)
        if fisher: f.write((noise * noise).astype(np.float32).tobytes())
        else: f.write(bf16(base + (0.01 * np.abs(base) * noise if tune else 0)))
