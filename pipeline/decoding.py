"""Turn raw article bytes into text, or say precisely why they cannot be used.

Scraped news arrives in whatever encoding the site (or the scraper) happened to use, and a
fair share of it has already been mangled once (UTF-8 read as cp1252).  Everything downstream
assumes clean ``str``; this module is the single place where that assumption is earned, and
where unusable inputs get a quarantine reason instead of silently becoming garbage text.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

__all__ = ["DecodedText", "decode_bytes", "repair_mojibake"]


@dataclass(frozen=True)
class DecodedText:
    """Outcome of decoding; ``text is None`` means the input belongs in quarantine."""

    text: str | None
    encoding: str | None
    reason: str | None
    detail: str


# Magic numbers of formats that are regularly mis-saved as ".txt" by scrapers.  Checked before
# anything else because some of them (JPEG, ZIP) would otherwise decode "fine" as cp1252.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "PDF"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"PK\x03\x04", "ZIP"),
    (b"PK\x05\x06", "ZIP"),
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"Rar!\x1a\x07", "RAR"),
    (b"\x7fELF", "ELF"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "OLE2/MS Office"),
    (b"OggS", "Ogg"),
    (b"ID3", "MP3"),
    (b"\x00\x00\x01\x00", "ICO"),
    (b"wOFF", "WOFF"),
    (b"wOF2", "WOFF2"),
)

# Order matters: the UTF-32 LE BOM starts with the UTF-16 LE BOM.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_BOM_NAMES = {
    "utf-32-le": "utf-32",
    "utf-32-be": "utf-32",
    "utf-8-sig": "utf-8-sig",
    "utf-16-le": "utf-16",
    "utf-16-be": "utf-16",
}

# C0 controls that never occur in prose (tab, LF, FF, CR and ESC-free text is the norm).
_CONTROL_BYTES = frozenset(set(range(0x20)) - {0x09, 0x0A, 0x0C, 0x0D}) | {0x7F}
_MAX_NUL_SHARE = 0.01  # a handful of stray NULs is scraper noise; more means binary
_MAX_CONTROL_SHARE = 0.05
_MAX_REPLACEMENT_SHARE = 0.05


def _share(count: int, total: int) -> float:
    return count / total if total else 0.0


def _looks_like_bomless_utf16(data: bytes) -> str | None:
    """Spot UTF-16 by its alternating NUL pattern, which ASCII-heavy text makes unmistakable."""
    if len(data) < 4:
        return None
    sample = data[:4096]
    if len(sample) % 2:
        sample = sample[:-1]
    even, odd = sample[0::2], sample[1::2]
    half = len(sample) // 2
    even_nul = _share(even.count(0), half)
    odd_nul = _share(odd.count(0), half)
    if odd_nul > 0.4 and even_nul < 0.05:
        return "utf-16-le"
    if even_nul > 0.4 and odd_nul < 0.05:
        return "utf-16-be"
    return None


def _decode_unicode(data: bytes, codec: str) -> str | None:
    """Strict decode, tolerating a few broken code units (truncated downloads) but not many."""
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        text = data.decode(codec, errors="replace")
    if _share(text.count("\ufffd"), len(text)) > _MAX_REPLACEMENT_SHARE:
        return None
    return text


def _finish(text: str, encoding: str, notes: list[str]) -> DecodedText:
    """Shared tail: strip NULs, refuse empty text, repair mojibake."""
    if "\x00" in text:
        notes.append(f"stripped {text.count(chr(0))} NUL characters")
        text = text.replace("\x00", "")
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        return DecodedText(None, encoding, "empty", "only whitespace after decoding")
    if _share(text.count("\ufffd"), len(text)) > _MAX_REPLACEMENT_SHARE:
        return DecodedText(None, encoding, "undecodable", "too many U+FFFD replacement characters")
    repaired = repair_mojibake(text)
    if repaired != text:
        notes.append("repaired mojibake")
        text = repaired
    return DecodedText(text, encoding, None, "; ".join(notes) or f"decoded as {encoding}")


def decode_bytes(data: bytes) -> DecodedText:
    """Decode article bytes, preferring explicit evidence (BOM, NUL pattern) over guessing.

    The fallback chain ends in latin-1, which accepts any byte sequence, so ``"undecodable"``
    is reserved for Unicode encodings that are announced (BOM / NUL pattern) but broken.
    """
    if not data:
        return DecodedText(None, None, "empty", "0 bytes")
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return DecodedText(None, None, "binary", f"{kind} file signature")

    for bom, codec in _BOMS:
        if data.startswith(bom):
            name = _BOM_NAMES[codec]
            body = data[len(bom) :]
            if codec == "utf-8-sig":
                break  # UTF-8 with BOM still needs the binary checks below
            if not body:
                return DecodedText(None, name, "empty", f"{name} BOM only")
            text = _decode_unicode(body, codec)
            if text is None:
                return DecodedText(None, name, "undecodable", f"invalid {name} after BOM")
            return _finish(text, name, [f"{name} BOM"])

    utf16 = _looks_like_bomless_utf16(data)
    if utf16 is not None:
        text = _decode_unicode(data[: len(data) - len(data) % 2], utf16)
        if (
            text is not None
            and _share(sum(1 for ch in text if ord(ch) < 0x20 and ch not in "\t\n\r\f"), len(text))
            <= _MAX_CONTROL_SHARE
        ):
            return _finish(text, "utf-16", [f"{utf16} without BOM (alternating NULs)"])

    nul_share = _share(data.count(0), len(data))
    if nul_share > _MAX_NUL_SHARE:
        return DecodedText(None, None, "binary", f"{nul_share:.0%} NUL bytes")
    controls = sum(1 for b in data if b in _CONTROL_BYTES and b != 0)
    control_share = _share(controls, len(data))
    if control_share > _MAX_CONTROL_SHARE:
        return DecodedText(None, None, "binary", f"{control_share:.0%} control bytes")
    if not data.replace(b"\x00", b"").strip():
        return DecodedText(None, None, "empty", f"{len(data)} bytes of whitespace")

    if data.startswith(codecs.BOM_UTF8):
        try:
            return _finish(data[3:].decode("utf-8"), "utf-8-sig", ["utf-8-sig BOM"])
        except UnicodeDecodeError:
            data = data[3:]
    try:
        return _finish(data.decode("utf-8"), "utf-8", [])
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
        return _finish(text, "cp1252", ["not valid UTF-8; decoded as cp1252"])
    except UnicodeDecodeError:
        text = data.decode("latin-1")
        return _finish(text, "latin-1", ["not valid UTF-8 or cp1252; decoded as latin-1"])


# --- mojibake -----------------------------------------------------------------------------


def _build_byte_map() -> dict[str, int]:
    """Map each character cp1252 (or latin-1, for cp1252's holes) produces back to its byte."""
    mapping: dict[str, int] = {}
    for byte in range(0x80, 0x100):
        try:
            char = bytes([byte]).decode("cp1252")
        except UnicodeDecodeError:
            char = bytes([byte]).decode("latin-1")
        mapping[char] = byte
        mapping.setdefault(chr(byte), byte)  # C1 controls left by latin-1 decoders
    return mapping


_BYTE_OF = _build_byte_map()
# Runs of characters that could be the cp1252 rendering of UTF-8 multi-byte sequences.
_RUN_RE = re.compile("[" + re.escape("".join(sorted(_BYTE_OF))) + "]{2,}")
# The right double quote's last byte (0x9D) is undefined in cp1252, so it is often lost or
# replaced; "â€" followed by nothing useful is, in practice, always a mangled ”.
_LOST_RDQUO_RE = re.compile("\u00e2\u20ac(?:\ufffd|(?=[\\s.,;:!?)\\]]|$))")
_LOST_AGRAVE_RE = re.compile("\u00c3 (?= )")
_SUSPICIOUS_RE = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178"
    "\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]"
)


def _utf8_len(lead: int) -> int:
    if 0xC2 <= lead <= 0xDF:
        return 2
    if 0xE0 <= lead <= 0xEF:
        return 3
    if 0xF0 <= lead <= 0xF4:
        return 4
    return 0


def _repair_run(run: str) -> str:
    """Decode every valid UTF-8 sequence inside a run, leaving other characters untouched.

    Working sequence by sequence (not on the whole run) keeps a genuine accented letter that
    happens to sit next to mojibake from blocking the repair.
    """
    raw = bytes(_BYTE_OF[ch] for ch in run)
    out: list[str] = []
    i = 0
    while i < len(raw):
        size = _utf8_len(raw[i])
        if size and i + size <= len(raw):
            try:
                out.append(raw[i : i + size].decode("utf-8"))
                i += size
                continue
            except UnicodeDecodeError:
                pass
        out.append(run[i])
        i += 1
    return "".join(out)


def _repair_segment(segment: str) -> str:
    for _ in range(2):  # text mangled twice needs two passes
        if not _SUSPICIOUS_RE.search(segment) and "\u00e2\u20ac" not in segment:
            break
        fixed = _RUN_RE.sub(lambda m: _repair_run(m.group(0)), segment)
        fixed = _LOST_RDQUO_RE.sub("\u201d", fixed)
        # "à" is C3 A0; once its NBSP byte has been normalised to a space the pair reads
        # "Ã" + two spaces, which only happens to mojibake.
        fixed = _LOST_AGRAVE_RE.sub("\u00e0", fixed)
        if len(_SUSPICIOUS_RE.findall(fixed)) >= len(_SUSPICIOUS_RE.findall(segment)) and (
            fixed.count("\u00e2\u20ac") >= segment.count("\u00e2\u20ac")
        ):
            break
        segment = fixed
    return segment


def repair_mojibake(text: str) -> str:
    """Undo UTF-8-read-as-cp1252 damage line by line, keeping lines that were never damaged.

    Per-line repair matters because scraped files are often mixed: one pasted paragraph is
    mangled while the rest is fine, so a whole-text ``encode/decode`` round trip would fail.
    """
    if not _SUSPICIOUS_RE.search(text) and "\u00e2\u20ac" not in text:
        return text
    return "\n".join(_repair_segment(line) for line in text.split("\n"))
