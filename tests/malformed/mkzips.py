#!/usr/bin/env python3
"""Writes the hostile zip part of the malformed corpus (tests/malformed/zip-*)
and its expectations (EXPECT-zip: FILE EXIT REASON). Layout violations are
verification checks (exit 1, their zip-* reason); an archive that cannot be
read is exit 3 (zip-corrupt). Deterministic: fixed times, fixed content.
Usage: mkzips.py OUT_DIR"""
import struct
import sys
import zipfile
import zlib

out = sys.argv[1]
expect = []
T = (2026, 1, 1, 0, 0, 0)
NAMES = ["header.cose", "order.cose", "records.cborseq"]
BODY = {"header.cose": b"\xd2" + b"h" * 40, "order.cose": b"\xd8\x62" + b"o" * 60,
        "records.cborseq": b"\xd2" + b"r" * 200}


def write(name, entries, exit_code, reason, method=zipfile.ZIP_STORED):
    """entries: list of (name, bytes[, method])"""
    path = "%s/%s" % (out, name)
    with zipfile.ZipFile(path, "w") as z:
        for e in entries:
            zi = zipfile.ZipInfo(e[0], date_time=T)
            zi.compress_type = e[2] if len(e) > 2 else method
            zi.external_attr = 0o644 << 16
            z.writestr(zi, e[1])
    expect.append((name, exit_code, reason))
    return path


def batch(**repl):
    return [(repl.get(n, n), BODY[n]) for n in NAMES]


def patch_all(path, find, repl):
    data = open(path, "rb").read()
    assert find in data
    open(path, "wb").write(data.replace(find, repl))


write("zip-dotdot.zip", batch(**{"header.cose": "../header.cose"}), 1, "zip-name")
write("zip-absolute.zip", batch(**{"header.cose": "/header.cose"}), 1, "zip-name")
write("zip-backslash.zip", batch(**{"order.cose": "..\\order.cose"}), 1, "zip-name")
write("zip-control.zip", batch(**{"order.cose": "order\x1b[2J.cose"}), 1, "zip-name")
write("zip-directory.zip", [("header.cose/", b"")] + batch()[1:], 1, "zip-name")
import warnings
warnings.simplefilter("ignore")
write("zip-duplicate.zip", batch() + [("records.cborseq", BODY["records.cborseq"])], 1,
      "zip-entries")
write("zip-reordered.zip", [batch()[1], batch()[0], batch()[2]], 1, "zip-entries")
write("zip-missing.zip", batch()[:2], 1, "zip-entries")
write("zip-extra.zip", batch() + [("evil.sh", b"#!/bin/sh\n")], 1, "zip-entries")
write("zip-many.zip", [("e%03d" % i, b"x") for i in range(300)], 1, "zip-entries")
# an empty archive is only an end record ("PK\x05\x06"), not taken for a zip
write("zip-empty.zip", [], 3, "cbor")
write("zip-bzip2.zip", batch(), 1, "zip-method", zipfile.ZIP_BZIP2)
write("zip-lzma.zip", batch(), 1, "zip-method", zipfile.ZIP_LZMA)

# encrypted: general purpose flag bit 0 in the local and central headers
p = write("zip-encrypted.zip", batch(), 1, "zip-encrypted")
data = bytearray(open(p, "rb").read())
for sig, flags in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
    i = data.find(sig)
    while i >= 0:
        data[i + flags] |= 1
        i = data.find(sig, i + 4)
open(p, "wb").write(bytes(data))

# a bomb: 4 MiB of zeros deflated to a few KiB, far past the 16x ratio
bomb = [(n, BODY[n]) for n in NAMES[:2]] + [("records.cborseq", b"\0" * (4 << 20),
                                              zipfile.ZIP_DEFLATED)]
write("zip-bomb-ratio.zip", bomb, 1, "zip-ratio")

# huge declared sizes: a stored header entry claiming 4 GiB - 16 bytes, in
# the central directory and the local header alike
p = write("zip-huge-declared.zip", batch(), 1, "zip-size")
data = bytearray(open(p, "rb").read())
n = len(BODY["header.cose"])
loc = data.find(b"PK\x03\x04")
struct.pack_into("<II", data, loc + 18, 0xFFFFFFF0, 0xFFFFFFF0)
cen = data.find(b"PK\x01\x02")
struct.pack_into("<II", data, cen + 20, 0xFFFFFFF0, 0xFFFFFFF0)
open(p, "wb").write(bytes(data))

# unreadable archives: exit 3
p = write("zip-crc.zip", batch(), 3, "zip-corrupt")
patch_all(p, b"h" * 40, b"h" * 39 + b"H")
p = write("zip-truncated.zip", batch(), 3, "zip-corrupt")
data = open(p, "rb").read()
open(p, "wb").write(data[: len(data) // 2])
open("%s/zip-magic-only.zip" % out, "wb").write(b"PK\x03\x04")
expect.append(("zip-magic-only.zip", 3, "zip-corrupt"))

with open("%s/EXPECT-zip" % out, "w") as f:
    f.write("# FILE EXIT REASON, written by tests/malformed/mkzips.py\n")
    for e in expect:
        f.write("%s %d %s\n" % e)
