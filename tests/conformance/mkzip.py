#!/usr/bin/env python3
"""Writes one zip archive byte by byte, for the conformance corpus's zip
cases (tests/conformance/mkcorpus.sh): every header field is chosen here, so
an archive can break exactly one of batch.md's rules for readers.

  mkzip.py OUT [--truncate N] ENTRY...
  ENTRY: NAME=FILE[,OPTION]...   (an empty FILE, "", makes an empty entry)
  OPTION: deflate | bzip2           the method (default: stored)
          encrypt                   general purpose bit 0 set (nothing encrypted)
          descriptor                sizes and CRC in a data descriptor (bit 3)
          zip64                     sizes in zip64 extra fields (0xffffffff in the headers)
          declare=N                 N as the uncompressed size in both headers
          localname=NAME            another name in the local header only
          badcrc                    a CRC-32 off by one in both headers
--truncate N drops the archive's last N bytes. Times are fixed (2023-11-14
22:13:20, the time consign writes); nothing depends on the clock."""
import bz2
import struct
import sys
import zlib

DOS_TIME = (22 << 11) | (13 << 5) | (20 // 2)
DOS_DATE = ((2023 - 1980) << 9) | (11 << 5) | 14


def entry(spec):
    name, _, rest = spec.partition("=")
    parts = rest.split(",")
    path, opts = parts[0], parts[1:]
    data = open(path, "rb").read() if path else b""
    e = {"name": name.encode("latin-1"), "data": data, "method": 0, "flags": 0,
         "descriptor": False, "zip64": False, "declare": None, "localname": None,
         "badcrc": False}
    for o in opts:
        k, _, v = o.partition("=")
        if k == "deflate":
            e["method"] = 8
        elif k == "bzip2":
            e["method"] = 12
        elif k == "encrypt":
            e["flags"] |= 1
        elif k == "descriptor":
            e["descriptor"] = True
            e["flags"] |= 8
        elif k == "zip64":
            e["zip64"] = True
        elif k == "declare":
            e["declare"] = int(v)
        elif k == "localname":
            e["localname"] = v.encode("latin-1")
        elif k == "badcrc":
            e["badcrc"] = True
        else:
            sys.exit("mkzip.py: unknown option " + o)
    return e


def compress(e):
    if e["method"] == 8:
        c = zlib.compressobj(9, zlib.DEFLATED, -15, 9)
        return c.compress(e["data"]) + c.flush()
    if e["method"] == 12:
        return bz2.compress(e["data"], 9)
    return e["data"]


def main():
    args = sys.argv[1:]
    out = args.pop(0)
    truncate = 0
    if args and args[0] == "--truncate":
        truncate = int(args[1])
        args = args[2:]
    body, central = b"", b""
    for spec in args:
        e = entry(spec)
        comp = compress(e)
        crc = zlib.crc32(e["data"]) & 0xffffffff
        if e["badcrc"]:
            crc ^= 1
        usize = e["declare"] if e["declare"] is not None else len(e["data"])
        csize = len(comp)
        version = 45 if e["zip64"] else (46 if e["method"] == 12 else 20)
        hsize_c, hsize_u, extra = csize, usize, b""
        if e["zip64"]:
            hsize_c = hsize_u = 0xffffffff
            extra = struct.pack("<HHQQ", 1, 16, usize, csize)
        lname = e["localname"] if e["localname"] is not None else e["name"]
        offset = len(body)
        if e["descriptor"]:
            local = struct.pack("<IHHHHHIIIHH", 0x04034b50, version, e["flags"], e["method"],
                                DOS_TIME, DOS_DATE, 0, 0, 0, len(lname), 0)
            body += local + lname + comp + struct.pack("<IIII", 0x08074b50, crc, csize, usize)
        else:
            local = struct.pack("<IHHHHHIIIHH", 0x04034b50, version, e["flags"], e["method"],
                                DOS_TIME, DOS_DATE, crc, hsize_c, hsize_u, len(lname), len(extra))
            body += local + lname + extra + comp
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 0x0300 | 20, version, e["flags"],
                               e["method"], DOS_TIME, DOS_DATE, crc, hsize_c, hsize_u,
                               len(e["name"]), len(extra), 0, 0, 0, 0o100644 << 16, offset)
        central += e["name"] + extra
    end = struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, len(args), len(args), len(central),
                      len(body), 0)
    data = body + central + end
    if truncate:
        data = data[:-truncate]
    with open(out, "wb") as f:
        f.write(data)


main()
