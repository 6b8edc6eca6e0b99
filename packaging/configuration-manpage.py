#!/usr/bin/env python3
"""Writes tsmfs.toml(5) from docs/configuration.md, so the manual page and the documentation
cannot drift apart: headings become sections, tables become tagged paragraphs, inline code bold.

usage: configuration-manpage.py docs/configuration.md VERSION > tsmfs.toml.5
"""
import re
import sys


def inline(text):
    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text)  # links: keep their words
    text = text.replace("\\", "\\e")
    text = re.sub(r"`([^`]+)`", lambda m: "\\fB" + m.group(1) + "\\fR", text)
    text = re.sub(r"\*\*([^*]+)\*\*", r"\\fB\1\\fR", text)
    return text.replace("-", "\\-")


def line(text):
    # roff treats a leading dot or apostrophe as a request.
    return "\\&" + text if text[:1] in (".", "'") else text


def main():
    source, version = sys.argv[1], sys.argv[2]
    out = [
        f'.TH TSMFS.TOML 5 "2026-12-06" "tsmfs {version}" "File Formats"',
        ".SH NAME",
        "tsmfs.toml \\- configuration file of tsmfs",
        ".SH SYNOPSIS",
        "\\fBtsmfs mount \\-\\-config\\fR \\fIFILE\\fR ...",
        ".SH DESCRIPTION",
    ]
    for raw in open(source, encoding="utf-8").read().splitlines():
        text = raw.strip()
        if text.startswith("# "):
            continue
        if text.startswith("#"):
            out.append(".SH " + inline(text.lstrip("#").strip()).upper())
        elif text.startswith("|"):
            cells = [cell.strip() for cell in text.strip("|").split("|")]
            if set("".join(cells)) <= set("-: ") or cells[0] == "Setting":
                continue
            setting, default, meaning = (cells + ["", ""])[:3]
            out += [".TP", line(inline(setting) + " (default: " + inline(default) + ")"), line(inline(meaning))]
        elif not text:
            out.append(".PP")
        else:
            out.append(line(inline(text)))
    out += [
        ".SH FILES",
        "/usr/share/doc/tsmfs/examples/*.toml \\- every setting with its default",
        ".SH SEE ALSO",
        ".BR tsmfs (1),",
        ".BR tsmfs\\-mount (1),",
        ".BR mount.fuse.tsmfs (8)",
    ]
    print("\n".join(out))


main()
