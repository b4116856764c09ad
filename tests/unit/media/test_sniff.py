from __future__ import annotations

import pytest

from modgate.errors import ModgateError
from modgate.media.sniff import sniff


@pytest.mark.parametrize(
    ("header", "fmt"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "JPEG"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "PNG"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "WEBP"),
        (b"RIFF\x00\x00\x00\x00AVI LIST", "AVI"),
        (b"\x00\x00\x00\x18ftypisom\x00\x00", "MP4"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00", "MOV"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", "WEBM"),
        (b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\x82\x88matroska", "MKV"),
        (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf", "AVIF"),
        (b"\x00\x00\x00\x1cftypavis\x00\x00\x00\x00avifavismsf1", "AVIF"),
        (b"\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00mif1avifmiaf", "AVIF"),
    ],
)
def test_magic_numbers(header: bytes, fmt: str) -> None:
    assert sniff(header).format == fmt


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (b"\xef\xbb\xbf  <svg xmlns='http://www.w3.org/2000/svg'/>", "UnsafeMediaTypeException"),
        (b"<!-- a comment --><html></html>", "UnsafeMediaTypeException"),
        (b"\x1f\x8b\x08\x00", "ArchiveNotAllowedException"),
        (b"Rar!\x1a\x07\x00", "ArchiveNotAllowedException"),
        (b"%PDF-1.7\n", "UnsupportedMediaTypeException"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "UnsupportedMediaTypeException"),
        (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic", "UnsupportedMediaTypeException"),
        (b"", "EmptyMediaException"),
    ],
)
def test_refusals(header: bytes, code: str) -> None:
    with pytest.raises(ModgateError) as caught:
        sniff(header)
    assert caught.value.code == code
