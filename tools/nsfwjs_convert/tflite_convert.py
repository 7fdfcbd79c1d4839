#!/usr/bin/python3
"""tools/nsfwjs_convert/tflite_convert.py — uint8 TFLite MobileNetV2 -> kefu CNN model file.

Converts the ImageNet MobileNetV2 1.0 224 (uint8 TFLite, Apache-2.0; shipped in
third_party/mobilenet-v2-imagenet) into the same .kfm format as convert.py (see its
docstring), as a float network: weights dequantised (w = (q - zero_point)·scale, int32 biases ·
input_scale·weight_scale), the uint8 input mapping folded into the input scale/bias, and
activations computed in float32 (so outputs are close to, not bit-equal with, the integer
reference).  The 1001 ImageNet labels become the class names; the 7×7 average pool is the
embedding (1280).

The flatbuffer is read with a minimal reader (no generated code): only the TFLite schema
fields listed below are used.  Supported ops: CONV_2D, DEPTHWISE_CONV_2D, ADD,
AVERAGE_POOL_2D (whole map), RESHAPE/SQUEEZE, SOFTMAX.

Usage: tflite_convert.py MODEL.tflite LABELS.txt OUT.kfm NAME
"""
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from convert import (Net, CONV, DW, ADD, GAP, SOFTMAX, ACT_NONE, ACT_RELU,  # noqa: E402
                     ACT_RELU6)

OPS = {0: "ADD", 1: "AVERAGE_POOL_2D", 3: "CONV_2D", 4: "DEPTHWISE_CONV_2D", 22: "RESHAPE",
       25: "SOFTMAX", 43: "SQUEEZE"}
ACTS = {0: ACT_NONE, 1: ACT_RELU, 3: ACT_RELU6}
TYPES = {0: np.float32, 2: np.int32, 3: np.uint8, 9: np.int8}


class FB:
    """Just enough of the flatbuffer wire format: tables, vectors, scalars, strings."""

    def __init__(self, b):
        self.b = b

    def u32(self, p): return struct.unpack_from("<I", self.b, p)[0]
    def i32(self, p): return struct.unpack_from("<i", self.b, p)[0]

    def field(self, t, i):
        vt = t - self.i32(t)
        vsize = struct.unpack_from("<H", self.b, vt)[0]
        if 4 + 2 * i >= vsize:
            return None
        off = struct.unpack_from("<H", self.b, vt + 4 + 2 * i)[0]
        return t + off if off else None

    def scalar(self, t, i, fmt, default=0):
        p = self.field(t, i)
        return struct.unpack_from("<" + fmt, self.b, p)[0] if p is not None else default

    def table(self, t, i):
        p = self.field(t, i)
        return p + self.u32(p) if p is not None else None

    def vector(self, t, i):
        p = self.field(t, i)
        if p is None:
            return None, 0
        v = p + self.u32(p)
        return v + 4, self.u32(v)

    def tables(self, t, i):
        s, n = self.vector(t, i)
        return [s + 4 * k + self.u32(s + 4 * k) for k in range(n)]

    def array(self, t, i, dtype):
        s, n = self.vector(t, i)
        return np.frombuffer(self.b, dtype, n, s) if s is not None else np.zeros(0, dtype)

    def string(self, t, i):
        s, n = self.vector(t, i)
        return self.b[s:s + n].decode() if s is not None else ""


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__.split("\n\n")[-1])
    src, labels, out, name = sys.argv[1:]
    b = open(src, "rb").read()
    if b[4:8] != b"TFL3":
        sys.exit("%s: not a TFLite flatbuffer" % src)
    fb = FB(b)
    root = fb.u32(0)
    codes = []
    for oc in fb.tables(root, 1):
        code = fb.scalar(oc, 3, "i", 0) or fb.scalar(oc, 0, "b", 0)
        codes.append(code)
    buffers = fb.tables(root, 4)
    sg = fb.tables(root, 2)[0]
    tensors = []
    for t in fb.tables(sg, 0):
        q = fb.table(t, 4)
        tensors.append(dict(shape=list(fb.array(t, 0, "<i4")), type=fb.scalar(t, 1, "b"),
                            buffer=fb.scalar(t, 2, "I"), name=fb.string(t, 3),
                            scale=fb.array(q, 2, "<f4") if q else np.zeros(0),
                            zp=fb.array(q, 3, "<i8") if q else np.zeros(0)))

    def data(ti, dequant=True):
        t = tensors[ti]
        raw = fb.array(buffers[t["buffer"]], 0, "u1")
        a = np.frombuffer(raw.tobytes(), TYPES[t["type"]]).reshape(t["shape"]).astype(np.float64)
        if dequant and len(t["scale"]):
            zp = t["zp"][0] if len(t["zp"]) else 0
            a = (a - zp) * t["scale"][0]
        return a

    inp = fb.array(sg, 1, "<i4")[0]
    _, h, w, c = tensors[inp]["shape"]
    net = Net(h, w, c)
    s_in, zp_in = tensors[inp]["scale"][0], tensors[inp]["zp"][0]
    net.in_scale, net.in_bias = float(255.0 * s_in), float(-zp_in * s_in)
    where = {inp: -1}
    for op in fb.tables(sg, 3):
        kind = OPS.get(codes[fb.scalar(op, 0, "I")])
        ins, outs = list(fb.array(op, 1, "<i4")), list(fb.array(op, 2, "<i4"))
        opt = fb.table(op, 4)
        if kind in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            dw = kind == "DEPTHWISE_CONV_2D"
            pad = "same" if fb.scalar(opt, 0, "b") == 0 else (0, 0, 0, 0)
            stride = fb.scalar(opt, 2, "i", 1)
            assert stride == fb.scalar(opt, 1, "i", 1)
            act = ACTS[fb.scalar(opt, 4 if dw else 3, "b")]
            k = data(ins[1])
            if dw:   # [1, kh, kw, c] -> [kh, kw, c, 1]
                assert fb.scalar(opt, 3, "i", 1) == 1, "depth multiplier"
                k = k[0][:, :, :, None]
            else:    # [cout, kh, kw, cin] -> [kh, kw, cin, cout]
                k = k.transpose(1, 2, 3, 0)
            bias = data(ins[2], dequant=False) * tensors[ins[0]]["scale"][0] * \
                tensors[ins[1]]["scale"][0]
            where[outs[0]] = net.conv(where[ins[0]], tensors[outs[0]]["name"],
                                      k.astype(np.float32), bias.astype(np.float32), stride,
                                      pad, act, dw)
        elif kind == "ADD":
            assert fb.scalar(opt, 0, "b") == 0
            where[outs[0]] = net.add(type=ADD, in0=where[ins[0]], in1=where[ins[1]])
        elif kind == "AVERAGE_POOL_2D":
            src_op = where[ins[0]]
            hh, ww, _ = net.shapes[src_op]
            assert (fb.scalar(opt, 4, "i"), fb.scalar(opt, 3, "i")) == (hh, ww)
            where[outs[0]] = net.add(type=GAP, in0=src_op)
            net.embed_op = where[outs[0]]
        elif kind in ("RESHAPE", "SQUEEZE"):
            where[outs[0]] = where[ins[0]]
        elif kind == "SOFTMAX":
            where[outs[0]] = net.add(type=SOFTMAX, in0=where[ins[0]])
        else:
            raise ValueError("unsupported TFLite op code %d" % codes[fb.scalar(op, 0, "I")])
    net.out_op = len(net.ops) - 1
    classes = [line.strip().split(",")[0] for line in open(labels, encoding="utf-8")]
    assert len(classes) == net.shapes[net.out_op][2], "labels do not match the output"
    net.write(out, name, classes)
    print("tflite_convert: %s -> %s: %d ops, %.2f M parameters, %d classes, embedding %d" %
          (name, out, len(net.ops), sum(a.size for _, a in net.tensors) / 1e6, len(classes),
           net.shapes[net.embed_op][2]))


if __name__ == "__main__":
    main()
