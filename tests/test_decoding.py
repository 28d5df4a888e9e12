"""Unit tests for pipeline.decoding."""

from __future__ import annotations

import codecs

from pipeline.decoding import decode_bytes, repair_mojibake


def test_cp1252_fallback_keeps_smart_quotes() -> None:
    result = decode_bytes(b"caf\xe9 \x93quoted\x94")
    assert result.text == "café “quoted”"
    assert result.encoding == "cp1252"
    assert result.reason is None


def test_strict_utf8() -> None:
    result = decode_bytes("naïve café".encode())
    assert (result.text, result.encoding) == ("naïve café", "utf-8")


def test_utf8_bom_is_stripped() -> None:
    result = decode_bytes(codecs.BOM_UTF8 + "héllo".encode())
    assert (result.text, result.encoding) == ("héllo", "utf-8-sig")


def test_utf16_with_bom_both_endians() -> None:
    le = codecs.BOM_UTF16_LE + "Grüße aus Köln".encode("utf-16-le")
    be = codecs.BOM_UTF16_BE + "Grüße aus Köln".encode("utf-16-be")
    assert decode_bytes(le).text == "Grüße aus Köln"
    assert decode_bytes(be).text == "Grüße aus Köln"
    assert decode_bytes(le).encoding == "utf-16"


def test_utf32_bom() -> None:
    data = codecs.BOM_UTF32_LE + "Plain text here".encode("utf-32-le")
    result = decode_bytes(data)
    assert (result.text, result.encoding) == ("Plain text here", "utf-32")


def test_utf16_without_bom_detected_from_nul_pattern() -> None:
    assert decode_bytes("Breaking news today".encode("utf-16-le")).text == "Breaking news today"
    assert decode_bytes("Breaking news today".encode("utf-16-be")).text == "Breaking news today"


def test_empty_and_whitespace() -> None:
    empty = decode_bytes(b"")
    assert (empty.text, empty.reason, empty.detail) == (None, "empty", "0 bytes")
    assert decode_bytes(b" \r\n\t \n").reason == "empty"


def test_binary_signatures() -> None:
    png = decode_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert (png.text, png.reason) == (None, "binary")
    assert "PNG" in png.detail
    assert decode_bytes(b"%PDF-1.7\n%\xe2\xe3").reason == "binary"
    assert decode_bytes(b"PK\x03\x04\x14\x00").reason == "binary"
    assert decode_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF").reason == "binary"
    assert decode_bytes(b"GIF89a\x01\x00").reason == "binary"


def test_nul_heavy_data_is_binary_but_stray_nul_is_stripped() -> None:
    heavy = decode_bytes(b"\x00\x01\x02\x03abc" * 50)
    assert heavy.reason == "binary"
    assert "NUL" in heavy.detail
    stray = decode_bytes(b"An ordinary sentence about the weather.\x00" + b" More text." * 20)
    assert stray.text is not None and "\x00" not in stray.text
    assert stray.text.startswith("An ordinary sentence about the weather. More text.")


def test_broken_utf16_after_bom_is_undecodable() -> None:
    result = decode_bytes(codecs.BOM_UTF16_LE + b"\x00\xd8\x00\xd8")
    assert (result.text, result.reason) == (None, "undecodable")


def test_mojibake_repaired_during_decoding() -> None:
    result = decode_bytes("Itâ€™s here".encode())
    assert result.text == "It’s here"
    assert "mojibake" in result.detail


def test_repair_mojibake_common_sequences() -> None:
    assert repair_mojibake("Itâ€™s") == "It’s"
    assert repair_mojibake("Ã©tÃ© Ã  Paris") == "été à Paris"
    assert repair_mojibake("â€œquotedâ€\x9d") == "“quoted”"
    assert repair_mojibake("â€œquotedâ€ next") == "“quoted” next"
    assert repair_mojibake("Â£5 â€” done") == "£5 — done"


def test_repair_mojibake_leaves_clean_text_alone() -> None:
    clean = "Crème brûlée in São Paulo costs €5 — “really”."
    assert repair_mojibake(clean) == clean


def test_repair_mojibake_is_per_line() -> None:
    mixed = "cafÃ© on line one\nAlready fine: café"
    assert repair_mojibake(mixed) == "café on line one\nAlready fine: café"


def test_mixed_utf8_and_cp1252_file() -> None:
    data = "café".encode() + b" \x93quoted\x94"
    result = decode_bytes(data)
    assert result.encoding == "cp1252"
    assert result.text == "café “quoted”"
