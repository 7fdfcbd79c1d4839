#!/usr/bin/python3
"""tools/nsfwjs_convert/convert.py — nsfwjs model bundle -> kefu CNN model file (.kfm).

Reads one model folder of npm nsfwjs (dist/models/NAME/: model.min.js, a browserify bundle
whose module exports the tfjs model description; group1-shard*.min.js, each exporting a
base64 string of weight bytes) and writes the network as kefu's versioned model format,
which vision/cnn.c mmaps read-only.  The bundles are read as text: a small parser below
understands the JavaScript object-literal subset the bundler emits (unquoted keys, !0/!1,
.5-style numbers); nothing is executed.

Both nsfwjs MobileNetV2 variants are supported:
  mobilenet_v2      Keras layers model: ZeroPadding2D / Conv2D / DepthwiseConv2D /
                    BatchNormalization (not folded in the file, folded here in float64:
                    w' = w·γ/√(σ²+ε), b' = β − μ·γ/√(σ²+ε)) / ReLU(max 6) / Add /
                    AveragePooling2D / Dense; input pixels/255.
  mobilenet_v2_mid  tfjs graph model (BN already folded): _FusedConv2D,
                    FusedDepthwiseConv2dNative, AddV2, AvgPool, _FusedMatMul, Softmax;
                    its Mul/Sub preamble becomes the input scale and bias.
Every tensor of the package is uint8-quantised: value = q·scale + min (float32).

File layout (little-endian; documented in docs/vision.md, checked by vision/cnn.c):
  header 128 B   magic "KEFUCNN\\0", u32 version (1), u32 n_ops, u32 n_tensors,
                 u32 in_h, in_w, in_c, u32 n_classes, i32 embed_op, i32 out_op,
                 f32 in_scale, f32 in_bias, u64 data_offset, u64 data_size,
                 char name[32], zero padding
  classes        n_classes × 32 B names
  ops            n_ops × 64 B: i32 type, in0, in1, act, kh, kw, stride, pad_t, pad_l,
                 pad_b, pad_r, cout, w, b, 0, 0
  tensors        n_tensors × 64 B: char name[28], u32 ndim, u32 dims[4], u64 offset
                 (from data_offset), u64 count (float32 values)
  data           float32 tensors, each 64-byte aligned
Op types: 1 conv (weights [kh][kw][cin][cout]), 2 depthwise (weights [kh][kw][c]),
3 add, 4 global average pool, 5 dense (weights [in][out]), 6 softmax.
Activations: 0 none, 1 relu, 2 relu6.  in0 / in1 = index of the op whose output is read,
-1 for the (scaled) input picture.

Usage: convert.py MODEL_DIR OUT.kfm NAME   (writes OUT.kfm.tmp, then renames).
"""
import base64
import glob
import math
import os
import re
import struct
import sys

import numpy as np

MAGIC = b"KEFUCNN\0"
VERSION = 1
CONV, DW, ADD, GAP, DENSE, SOFTMAX = 1, 2, 3, 4, 5, 6
ACT_NONE, ACT_RELU, ACT_RELU6 = 0, 1, 2
CLASSES = ["drawing", "hentai", "neutral", "porn", "sexy"]  # nsfwjs NSFW_CLASSES order


# ---- JavaScript object-literal parser --------------------------------------------------

class JSParser:
    NUM = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
    IDENT = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")

    def __init__(self, s, pos):
        self.s, self.i = s, pos

    def ws(self):
        while self.i < len(self.s) and self.s[self.i] in " \t\r\n":
            self.i += 1

    def value(self):
        self.ws()
        c = self.s[self.i]
        if c == "{":
            return self.obj()
        if c == "[":
            return self.arr()
        if c in "\"'":
            return self.string()
        if self.s.startswith("!0", self.i):
            self.i += 2
            return True
        if self.s.startswith("!1", self.i):
            self.i += 2
            return False
        if self.s.startswith("void 0", self.i):
            self.i += 6
            return None
        m = self.NUM.match(self.s, self.i)
        if m:
            self.i = m.end()
            t = m.group(0)
            return float(t) if any(ch in t for ch in ".eE") else int(t)
        m = self.IDENT.match(self.s, self.i)
        if m and m.group(0) in ("null", "true", "false"):
            self.i = m.end()
            return {"null": None, "true": True, "false": False}[m.group(0)]
        raise ValueError("unexpected %r at %d" % (self.s[self.i:self.i + 30], self.i))

    def string(self):
        q = self.s[self.i]
        self.i += 1
        out = []
        while self.s[self.i] != q:
            ch = self.s[self.i]
            if ch == "\\":
                nx = self.s[self.i + 1]
                if nx == "u":
                    out.append(chr(int(self.s[self.i + 2:self.i + 6], 16)))
                    self.i += 6
                    continue
                out.append({"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}.get(nx, nx))
                self.i += 2
                continue
            out.append(ch)
            self.i += 1
        self.i += 1
        return "".join(out)

    def obj(self):
        self.i += 1
        d = {}
        while True:
            self.ws()
            if self.s[self.i] == "}":
                self.i += 1
                return d
            if self.s[self.i] in "\"'":
                k = self.string()
            else:
                m = self.NUM.match(self.s, self.i) or self.IDENT.match(self.s, self.i)
                k = m.group(0)
                self.i = m.end()
            self.ws()
            assert self.s[self.i] == ":", self.s[self.i:self.i + 20]
            self.i += 1
            d[k] = self.value()
            self.ws()
            if self.s[self.i] == ",":
                self.i += 1

    def arr(self):
        self.i += 1
        a = []
        while True:
            self.ws()
            if self.s[self.i] == "]":
                self.i += 1
                return a
            a.append(self.value())
            self.ws()
            if self.s[self.i] == ",":
                self.i += 1


def load_bundle(model_dir):
    text = open(os.path.join(model_dir, "model.min.js"), encoding="utf-8").read()
    pos = text.index(".exports={") + len(".exports=")
    model = JSParser(text, pos).value()
    blobs = []
    for path in model["weightsManifest"][0]["paths"]:
        js = open(os.path.join(model_dir, path + ".min.js"), encoding="ascii").read()
        m = re.search(r'\.exports="([A-Za-z0-9+/=]*)"', js)
        blobs.append(base64.b64decode(m.group(1)))
    data = b"".join(blobs)
    weights, off = {}, 0
    for group in model["weightsManifest"]:
        for w in group["weights"]:
            n = int(np.prod(w["shape"])) if w["shape"] else 1
            q = w.get("quantization")
            if q and q["dtype"] == "uint8":
                raw = np.frombuffer(data, np.uint8, n, off)
                off += n
                # tfjs: Float32Array of (q * scale + min) computed in doubles
                v = (raw.astype(np.float64) * q["scale"] + q["min"]).astype(np.float32)
            elif not q and w["dtype"] == "float32":
                v = np.frombuffer(data, np.float32, n, off).copy()
                off += 4 * n
            else:
                raise ValueError("unsupported weight encoding for " + w["name"])
            weights[w["name"]] = v.reshape(w["shape"])
    if off != len(data):
        raise ValueError("weights use %d of %d bytes" % (off, len(data)))
    return model, weights


# ---- network description shared by both front ends ---------------------------------------

class Net:
    def __init__(self, h, w, c):
        self.ops, self.tensors, self.shapes = [], [], {-1: (h, w, c)}
        self.in_h, self.in_w, self.in_c = h, w, c
        self.in_scale, self.in_bias = 1.0, 0.0
        self.embed_op = self.out_op = -1

    def tensor(self, name, arr):
        self.tensors.append((name[-27:], np.ascontiguousarray(arr, np.float32)))
        return len(self.tensors) - 1

    def add(self, **kw):
        op = dict(type=0, in0=-1, in1=-1, act=0, kh=0, kw=0, stride=1, pt=0, pl=0, pb=0,
                  pr=0, cout=0, w=-1, b=-1)
        op.update(kw)
        h, w, c = self.shapes[op["in0"]]
        t = op["type"]
        if t in (CONV, DW):
            oh = (h + op["pt"] + op["pb"] - op["kh"]) // op["stride"] + 1
            ow = (w + op["pl"] + op["pr"] - op["kw"]) // op["stride"] + 1
            shape = (oh, ow, op["cout"] if t == CONV else c)
            if t == DW:
                op["cout"] = c
        elif t == ADD:
            assert self.shapes[op["in1"]] == (h, w, c)
            shape = (h, w, c)
        elif t == GAP:
            shape = (1, 1, c)
            op["cout"] = c
        elif t == DENSE:
            shape = (1, 1, op["cout"])
        else:
            shape = (h, w, c)
            op["cout"] = c
        self.ops.append(op)
        idx = len(self.ops) - 1
        self.shapes[idx] = shape
        return idx

    def conv(self, src, wname, kernel, bias, stride, pad, act, depthwise):
        kh, kw = kernel.shape[0], kernel.shape[1]
        h, w, _ = self.shapes[src]
        if pad == "same":
            pads = []
            for n, k in ((h, kh), (w, kw)):
                out = -(-n // stride)
                tot = max((out - 1) * stride + k - n, 0)
                pads.append((tot // 2, tot - tot // 2))
            (pt, pb), (pl, pr) = pads
        else:
            pt, pb, pl, pr = pad
        wt = kernel[:, :, :, 0] if depthwise else kernel
        return self.add(type=DW if depthwise else CONV, in0=src, act=act, kh=kh, kw=kw,
                        stride=stride, pt=pt, pl=pl, pb=pb, pr=pr,
                        cout=0 if depthwise else kernel.shape[3],
                        w=self.tensor(wname + "/w", wt), b=self.tensor(wname + "/b", bias))

    def write(self, path, name, classes=CLASSES):
        align = lambda n: (n + 63) & ~63
        head_len = 128 + 32 * len(classes) + 64 * len(self.ops) + 64 * len(self.tensors)
        data_off = align(head_len)
        offs, pos = [], 0
        for _, arr in self.tensors:
            offs.append(pos)
            pos = align(pos + arr.nbytes)
        data_size = pos
        hdr = MAGIC + struct.pack("<IIIIIIIiiffQQ", VERSION, len(self.ops), len(self.tensors),
                                  self.in_h, self.in_w, self.in_c, len(classes), self.embed_op,
                                  self.out_op, self.in_scale, self.in_bias, data_off, data_size)
        hdr += name.encode()[:31].ljust(32, b"\0")
        hdr = hdr.ljust(128, b"\0")
        out = bytearray(hdr)
        for c in classes:
            out += c.encode()[:31].ljust(32, b"\0")
        for op in self.ops:
            out += struct.pack("<16i", op["type"], op["in0"], op["in1"], op["act"], op["kh"],
                               op["kw"], op["stride"], op["pt"], op["pl"], op["pb"], op["pr"],
                               op["cout"], op["w"], op["b"], 0, 0)
        for (tname, arr), off in zip(self.tensors, offs):
            dims = list(arr.shape) + [0] * (4 - arr.ndim)
            out += tname.encode().ljust(28, b"\0") + struct.pack("<5IQQ", arr.ndim, *dims, off,
                                                                 arr.size)
        out = out.ljust(data_off, b"\0")
        for (_, arr), off in zip(self.tensors, offs):
            out = out.ljust(data_off + off, b"\0")
            out += arr.astype("<f4").tobytes()
        out = out.ljust(data_off + data_size, b"\0")
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(out)
        os.replace(tmp, path)


# ---- Keras layers model (mobilenet_v2) ----------------------------------------------------

def from_keras(model, W):
    layers = model["modelTopology"]["model_config"]["config"]["layers"]
    net = None
    where = {}   # layer name -> op index producing its output
    pads = {}    # ZeroPadding2D name -> (source op, (t, b, l, r))
    pending = {}  # conv op -> dict(kernel, bias, name) awaiting BatchNormalization
    for L in layers:
        cls, cfg, name = L["class_name"], L["config"], L["name"]
        srcs = [n[0] for n in L["inbound_nodes"][0]] if L["inbound_nodes"] else []
        if cls == "InputLayer":
            _, h, w, c = cfg["batch_input_shape"]
            net = Net(h, w, c)
            where[name] = -1
        elif cls == "ZeroPadding2D":
            (t, b), (l, r) = cfg["padding"]
            pads[name] = (where[srcs[0]], (t, b, l, r))
        elif cls in ("Conv2D", "DepthwiseConv2D"):
            dw = cls == "DepthwiseConv2D"
            if srcs[0] in pads:
                src, pad = pads[srcs[0]]
            else:
                src, pad = where[srcs[0]], "same" if cfg["padding"] == "same" else (0, 0, 0, 0)
            k = W[name + ("/depthwise_kernel" if dw else "/kernel")].astype(np.float64)
            cout = k.shape[2] if dw else k.shape[3]
            b = W[name + "/bias"].astype(np.float64) if cfg.get("use_bias") else np.zeros(cout)
            stride = cfg["strides"][0]
            assert cfg["strides"][0] == cfg["strides"][1]
            act = {"linear": ACT_NONE, "relu": ACT_RELU}[cfg["activation"]]
            idx = net.conv(src, name, k.astype(np.float32), b.astype(np.float32), stride, pad,
                           act, dw)
            pending[idx] = dict(k=k, b=b, dw=dw)
            where[name] = idx
        elif cls == "BatchNormalization":
            idx = where[srcs[0]]
            p = pending.pop(idx)
            eps = cfg["epsilon"]
            g = W[name + "/gamma"].astype(np.float64) if cfg.get("scale", True) else 1.0
            beta = W[name + "/beta"].astype(np.float64) if cfg.get("center", True) else 0.0
            mean = W[name + "/moving_mean"].astype(np.float64)
            var = W[name + "/moving_variance"].astype(np.float64)
            s = g / np.sqrt(var + eps)
            k = p["k"] * s[None, None, :, None] if p["dw"] else p["k"] * s
            b = (p["b"] - mean) * s + beta
            op = net.ops[idx]
            net.tensors[op["w"]] = (net.tensors[op["w"]][0],
                                    (k[:, :, :, 0] if p["dw"] else k).astype(np.float32))
            net.tensors[op["b"]] = (net.tensors[op["b"]][0], b.astype(np.float32))
            where[name] = idx
        elif cls == "ReLU":
            idx = where[srcs[0]]
            assert net.ops[idx]["act"] == ACT_NONE and idx == len(net.ops) - 1
            net.ops[idx]["act"] = ACT_RELU6 if cfg.get("max_value") == 6 else ACT_RELU
            where[name] = idx
        elif cls == "Add":
            where[name] = net.add(type=ADD, in0=where[srcs[0]], in1=where[srcs[1]])
        elif cls in ("AveragePooling2D", "GlobalAveragePooling2D"):
            src = where[srcs[0]]
            h, w, _ = net.shapes[src]
            if cls == "AveragePooling2D":
                assert tuple(cfg["pool_size"]) == (h, w), "only whole-map pooling"
            where[name] = net.add(type=GAP, in0=src)
            net.embed_op = where[name]
        elif cls in ("Flatten", "Dropout"):
            where[name] = where[srcs[0]]
        elif cls == "Dense":
            k, b = W[name + "/kernel"], W[name + "/bias"]
            act = cfg["activation"]
            idx = net.add(type=DENSE, in0=where[srcs[0]], cout=k.shape[1],
                          act={"relu": ACT_RELU}.get(act, ACT_NONE),
                          w=net.tensor(name + "/w", k), b=net.tensor(name + "/b", b))
            if act == "softmax":
                idx = net.add(type=SOFTMAX, in0=idx)
            else:
                assert act in ("relu", "linear"), act
            where[name] = idx
        else:
            raise ValueError("unsupported Keras layer " + cls)
    assert not pending, "convolution without batch norm"
    net.out_op = len(net.ops) - 1
    return net


# ---- tfjs graph model (mobilenet_v2_mid) ---------------------------------------------------

def from_graph(model, W):
    nodes = model["modelTopology"]["node"]
    attr_s = lambda n, k: base64.b64decode(n["attr"][k]["s"]).decode()
    attr_list = lambda n, k: [int(x) for x in n["attr"][k]["list"].get("i", [])]
    ph = [n for n in nodes if n["op"] == "Placeholder"][0]
    dims = [int(d["size"]) for d in ph["attr"]["shape"]["shape"]["dim"]]
    net = Net(dims[1], dims[2], dims[3])
    where = {ph["name"]: -1}
    const = lambda name: W[name.split(":")[0]]
    for n in nodes:
        op, name, ins = n["op"], n["name"], [i.split(":")[0] for i in n.get("input", [])]
        if op in ("Placeholder", "Const"):
            continue
        if op == "Mul" and ins[1] == ph["name"] or op == "Mul" and ins[0] == ph["name"]:
            c = ins[0] if ins[1] == ph["name"] else ins[1]
            net.in_scale *= float(const(c))
            net.in_bias *= float(const(c))
            where[name] = -1
        elif op == "Sub" and where.get(ins[0]) == -1 and not net.ops:
            net.in_bias -= float(const(ins[1]))
            where[name] = -1
        elif op in ("_FusedConv2D", "FusedDepthwiseConv2dNative"):
            fused = [base64.b64decode(s).decode() for s in n["attr"]["fused_ops"]["list"]["s"]]
            assert fused[0] == "BiasAdd" and len(fused) <= 2, fused
            assert all(d == 1 for d in attr_list(n, "dilations")), "dilated convolution"
            act = ACT_NONE if len(fused) == 1 else \
                {"Relu6": ACT_RELU6, "Relu": ACT_RELU}[fused[1]]
            st = attr_list(n, "strides")
            pad = attr_s(n, "padding")
            assert pad in ("SAME", "VALID") and st[1] == st[2]
            where[name] = net.conv(where[ins[0]], name.split("MobilenetV2/")[-1],
                                   const(ins[1]), const(ins[2]), st[1],
                                   "same" if pad == "SAME" else (0, 0, 0, 0), act,
                                   op == "FusedDepthwiseConv2dNative")
        elif op in ("AddV2", "Add"):
            where[name] = net.add(type=ADD, in0=where[ins[0]], in1=where[ins[1]])
        elif op in ("AvgPool", "Mean"):
            src = where[ins[0]]
            h, w, _ = net.shapes[src]
            if op == "AvgPool":
                assert attr_list(n, "ksize")[1:3] == [h, w], "only whole-map pooling"
            where[name] = net.add(type=GAP, in0=src)
            net.embed_op = where[name]
        elif op in ("Squeeze", "Identity", "Reshape"):
            where[name] = where[ins[0]]
        elif op == "_FusedMatMul":
            assert not n["attr"].get("transpose_b", {}).get("b", False)
            k = const(ins[1])
            where[name] = net.add(type=DENSE, in0=where[ins[0]], cout=k.shape[1],
                                  w=net.tensor(name + "/w", k),
                                  b=net.tensor(name + "/b", const(ins[2])))
        elif op == "Softmax":
            where[name] = net.add(type=SOFTMAX, in0=where[ins[0]])
        else:
            raise ValueError("unsupported graph op " + op)
    net.out_op = len(net.ops) - 1
    return net


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__.split("\n\n")[-1])
    model_dir, out, name = sys.argv[1:]
    model, W = load_bundle(model_dir)
    topo = model["modelTopology"]
    net = from_graph(model, W) if "node" in topo else from_keras(model, W)
    h, w, c = net.shapes[net.out_op]
    assert (h, w, c) == (1, 1, len(CLASSES)), (h, w, c)
    net.write(out, name)
    n_par = sum(a.size for _, a in net.tensors)
    print("nsfwjs_convert: %s -> %s: %d ops, %d tensors, %.2f M parameters, embedding %d" %
          (name, out, len(net.ops), len(net.tensors), n_par / 1e6,
           net.shapes[net.embed_op][2] if net.embed_op >= 0 else 0))


if __name__ == "__main__":
    main()
