#!/usr/bin/env python3
"""fuzz/make_cnn_seed.py — writes corpus/model_cnn/tiny.kfm: a valid KEFUCNN file
(the layout vision/cnn.c reads: 100-byte header padded to 128, class names, op table,
tensor table, float data at a 64-byte aligned offset) for an 8x8 input running every op
type once: conv, depthwise conv, add, global average pool (the embedding), dense,
softmax.  A few hundred bytes, where a real converted model is megabytes.
Usage: python3 fuzz/make_cnn_seed.py fuzz/corpus/model_cnn/tiny.kfm"""
import struct
import sys

CONV, DW, ADD, GAP, DENSE, SOFTMAX = 1, 2, 3, 4, 5, 6
classes = [b"safe", b"unsafe"]
# type, in0, in1, act, kh, kw, stride, pt, pl, pb, pr, cout, w, b
ops = [
    (CONV, -1, -1, 1, 3, 3, 1, 1, 1, 1, 1, 4, 0, 1),
    (DW, 0, -1, 1, 3, 3, 2, 1, 1, 1, 1, 4, 2, 3),
    (ADD, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1),
    (GAP, 2, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1),
    (DENSE, 3, -1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 4, 5),
    (SOFTMAX, 4, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1),
]
tensors = [("conv.w", [3, 3, 3, 4]), ("conv.b", [4]), ("dw.w", [3, 3, 4]), ("dw.b", [4]),
           ("dense.w", [4, 2]), ("dense.b", [2])]

table = b"".join(c.ljust(32, b"\0") for c in classes)
table += b"".join(struct.pack("<16i", *o, 0, 0) for o in ops)
data = b""
for name, dims in tensors:
    count = 1
    for d in dims:
        count *= d
    table += struct.pack("<28sI4IQQ", name.encode(), len(dims), *(dims + [0] * (4 - len(dims))),
                         len(data), count)
    data += struct.pack("<%df" % count, *[((i * 7) % 11 - 5) / 10 for i in range(count)])
data_offset = (128 + len(table) + 63) // 64 * 64
header = struct.pack("<8s7I2i2f2Q32s", b"KEFUCNN", 1, len(ops), len(tensors), 8, 8, 3,
                     len(classes), 3, len(ops) - 1, 1 / 127.5, -1.0, data_offset, len(data),
                     b"tiny")
blob = header.ljust(128, b"\0") + table
blob = blob.ljust(data_offset, b"\0") + data
with open(sys.argv[1], "wb") as f:
    f.write(blob)
print(sys.argv[1], len(blob), "bytes")
