"""Find a file's real type from its first bytes (magic numbers).

The answer is only a claim: ``probe`` then decodes the file to prove it. Markup (SVG, HTML, XML)
and archives are recognised so they can be refused with their own error codes rather than a
generic "unsupported".
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import features

from modgate.errors import (
    ArchiveNotAllowedException,
    EmptyMediaException,
    UnsafeMediaTypeException,
    UnsupportedMediaTypeException,
)
from modgate.media.models import MediaKind

HEADER_BYTES = 4096


@dataclass(frozen=True, slots=True)
class Sniffed:
    kind: MediaKind
    format: str
    mime: str


_IMAGE_MAGIC: tuple[tuple[bytes, int, str, str], ...] = (
    (b"\xff\xd8\xff", 0, "JPEG", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "PNG", "image/png"),
    (b"GIF87a", 0, "GIF", "image/gif"),
    (b"GIF89a", 0, "GIF", "image/gif"),
    (b"BM", 0, "BMP", "image/bmp"),
    (b"II*\x00", 0, "TIFF", "image/tiff"),
    (b"MM\x00*", 0, "TIFF", "image/tiff"),
)

_ARCHIVE_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"PK\x03\x04", 0, "ZIP"),
    (b"PK\x05\x06", 0, "ZIP"),
    (b"PK\x07\x08", 0, "ZIP"),
    (b"\x1f\x8b", 0, "gzip"),
    (b"7z\xbc\xaf\x27\x1c", 0, "7z"),
    (b"Rar!\x1a\x07", 0, "RAR"),
    (b"BZh", 0, "bzip2"),
    (b"\xfd7zXZ\x00", 0, "xz"),
    (b"\x28\xb5\x2f\xfd", 0, "zstd"),
    (b"ustar", 257, "tar"),
    (b"MSCF", 0, "CAB"),
)

# HEIF brands: HEIC (HEVC pictures, which Pillow does not read), AVIF, and the generic ones
# (``mif1``, ``msf1``) whose compatible brands say which. AVIF is read when this Pillow can.
_HEIF_BRANDS = (b"avif", b"avis", b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1")
_AVIF_BRANDS = (b"avif", b"avis")
AVIF_READABLE = bool(features.check_module("avif"))
_IMAGE_NAMES = "JPEG, PNG, WebP, GIF, BMP, TIFF" + (", AVIF" if AVIF_READABLE else "")

_MARKUP_PREFIXES = (b"<?xml", b"<svg", b"<!doctype", b"<html", b"<head", b"<body", b"<script")
_QUICKTIME_BRANDS = (b"qt  ",)
_BOXES_WITHOUT_FTYP = (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")


def sniff(header: bytes) -> Sniffed:
    """Classify a file by its first bytes; refuse empty files, markup, archives and the unknown."""
    if not header:
        raise EmptyMediaException()
    for magic, offset, fmt, mime in _IMAGE_MAGIC:
        if header[offset : offset + len(magic)] == magic:
            return Sniffed("image", fmt, mime)
    if header[:4] == b"RIFF" and header[8:12] == b"WEBP":
        return Sniffed("image", "WEBP", "image/webp")
    if header[:4] == b"RIFF" and header[8:12] == b"AVI ":
        return Sniffed("video", "AVI", "video/x-msvideo")
    if header[4:8] == b"ftyp":
        brand = header[8:12]
        if brand in _QUICKTIME_BRANDS:
            return Sniffed("video", "MOV", "video/quicktime")
        if _is_avif(header) and AVIF_READABLE:
            return Sniffed("image", "AVIF", "image/avif")
        if brand in _HEIF_BRANDS:
            raise UnsupportedMediaTypeException(
                f"HEIF images ({brand.decode('ascii', 'replace').strip()}) are not "
                f"supported; convert to {_IMAGE_NAMES}."
            )
        return Sniffed("video", "MP4", "video/mp4")
    if header[4:8] in _BOXES_WITHOUT_FTYP:
        return Sniffed("video", "MOV", "video/quicktime")
    if header[:4] == b"\x1a\x45\xdf\xa3":
        if b"webm" in header[:64]:
            return Sniffed("video", "WEBM", "video/webm")
        return Sniffed("video", "MKV", "video/x-matroska")
    for magic, offset, name in _ARCHIVE_MAGIC:
        if header[offset : offset + len(magic)] == magic:
            raise ArchiveNotAllowedException(
                f"{name} archives are refused: upload each image or video on its own.",
                detected=name,
            )
    if _is_markup(header):
        raise UnsafeMediaTypeException(
            "Markup documents (SVG, HTML, XML) are refused: they can carry script. "
            "Upload a raster image (JPEG, PNG, WebP, GIF, BMP, TIFF) instead.",
        )
    if header[:5] == b"%PDF-":
        raise UnsupportedMediaTypeException("PDF documents are not supported; upload images.")
    raise UnsupportedMediaTypeException(
        f"The file is not a supported image ({_IMAGE_NAMES}) or video (MP4, MOV, WebM, MKV, AVI)."
    )


def _is_avif(header: bytes) -> bool:
    """An ISO file whose major brand, or one of its compatible brands, is AVIF's."""
    size = int.from_bytes(header[:4], "big")
    brands = header[8:12] + header[16 : min(size, len(header))]
    return any(brands[i : i + 4] in _AVIF_BRANDS for i in range(0, len(brands) - 3, 4))


def _is_markup(header: bytes) -> bool:
    text = header.lstrip(b"\xef\xbb\xbf").lstrip(b" \t\r\n\x00\xfe\xff").lower()
    if text.startswith(_MARKUP_PREFIXES) or text.startswith(b"<!--"):
        return True
    return b"<svg" in text[:1024] or b"<html" in text[:1024]
