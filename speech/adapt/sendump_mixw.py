#!/usr/bin/python3
"""speech/adapt/sendump_mixw.py — pocketsphinx's quantised mixture weights (`sendump`, the
only form Debian's en-us model ships) back to a Sphinx-III `mixture_weights` file, which
sphinxtrain's bw needs to align clips for MLLR (speech/adapt/mllr.sh).

    sendump_mixw.py SENDUMP OUT

sendump: a header of length-prefixed strings, then per feature stream and codeword one byte
per senone, the weight's -log base 1.0001 shifted down by mixw_shift bits.  Written: "s3"
header, byte-order magic, senones x streams x codewords float32, each row renormalised
(quantisation leaves sums a little off 1).  sphinxtrain's own sendump.py is Python 2.
"""
import struct
import sys

import numpy


def main(src, dst):
    with open(src, "rb") as f:
        data = f.read()
    pos, fmt = 0, "<I"

    def readstr():
        nonlocal pos, fmt
        n = struct.unpack_from(fmt, data, pos)[0]
        if n > 65536:
            fmt = ">I"
            n = struct.unpack_from(fmt, data, pos)[0]
        pos += 4
        s = data[pos:pos + n][:-1].decode() if n else None
        pos += n
        return s

    hdr = {}
    readstr()                                   # title
    while True:
        h = readstr()
        if h is None:
            break
        k = h.split()
        if len(k) == 2 and k[1].isdigit():
            hdr[k[0]] = int(k[1])
    shift = hdr.get("mixw_shift", 10)
    nfeat, ncb, nsen = hdr["feature_count"], hdr.get("model_count", 0), hdr.get("mixture_count", 0)
    if hdr.get("cluster_count", 0) == 0:
        ncb = struct.unpack_from(fmt, data, pos)[0]
        nsen = struct.unpack_from(fmt, data, pos + 4)[0]
        pos += 8
    raw = numpy.frombuffer(data, numpy.uint8, nfeat * ncb * nsen, pos).astype(numpy.float64)
    w = numpy.power(1.0001, -(raw * (1 << shift))).reshape(nfeat, ncb, nsen)
    mixw = numpy.transpose(w, (2, 0, 1)).astype(numpy.float32)   # senone, feature, codeword
    mixw /= mixw.sum(axis=2, keepdims=True)
    with open(dst, "wb") as f:
        h = b"s3\nversion 1.0\n"
        pad = (len(h) + len(b"endhdr\n")) & 3
        h += (b" " * (4 - pad) if pad else b"") + b"endhdr\n"
        f.write(h)
        f.write(struct.pack("=i", 0x11223344))
        f.write(struct.pack("=IIII", nsen, nfeat, ncb, nsen * nfeat * ncb))
        mixw.tofile(f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
