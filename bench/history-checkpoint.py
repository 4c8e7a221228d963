#!/usr/bin/env python3
"""Writes model.safetensors for the history timings in docs/performance.md.

usage: history-checkpoint.py <variant> <tensors>
<tensors> bf16 tensors of [1280,1024] (2.5 MiB each; 400 = 1 GiB); every 100th tensor depends on <variant>,
so two variants differ in 1 % of the parameters and bytes.
"""
import json
import random
import struct
import sys

variant, n = int(sys.argv[1]), int(sys.argv[2])
rows, cols = 1280, 1024
size = rows * cols * 2
header = {f"layers.{i:03d}.weight": {"dtype": "BF16", "shape": [rows, cols], "data_offsets": [i * size, (i + 1) * size]}
          for i in range(n)}
body = json.dumps(header, separators=(",", ":")).encode()
body += b" " * (-len(body) % 8)
with open("model.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(body)))
    f.write(body)
    for i in range(n):
        data = bytearray(random.Random(i * 7919 + (variant if i % 100 == 0 else 0)).randbytes(size))
        # high bytes: keep the sign, force a small exponent: finite values in (-1, 1), no NaNs
        data[1::2] = bytes((b & 0x80) | 0x3c | (b & 0x02) for b in data[1::2])
        f.write(data)
