"""Length-prefixed MessagePack frames: a 4-byte big-endian length, then the body.

MessagePack was chosen over JSON by measurement (see bench/p2-bridge.ts and the
issue's closing note): equal for small frames, several times faster for 100 KB+
payloads, and it carries bytes without base64.
"""

from __future__ import annotations

import os
import struct
import threading
from typing import Any

import msgpack

MAX_FRAME = 64 * 1024 * 1024
_HEADER = struct.Struct(">I")

Message = dict[str, Any]

# Strings may hold lone UTF-16 surrogates (half an emoji cut by a tokenizer or a slice). Such
# strings cross the bridge unchanged, both ways, as ext SURROGATE_EXT holding their UTF-16-LE
# code units (src/bridge/values.ts does the same in Node): msgpack refuses to encode them, and
# msgpackr's own bytes for them are either refused by strict UTF-8 or turned into U+FFFD.
# Escaping happens only when plain packing fails, so ordinary frames pay nothing. Reading with
# "surrogatepass" as well means a stray WTF-8 string from any other writer cannot end the worker.
SURROGATE_EXT = 0x55
_UNICODE_ERRORS = "surrogatepass"


class ProtocolError(Exception):
    """The peer sent something that is not a valid frame; the channel cannot recover."""


class FrameTooLarge(ValueError):
    """An encoded message would exceed MAX_FRAME."""


# MessagePack extension codes for DSPy's custom types (src/bridge/media-codec.ts has the same).
EXT_IMAGE, EXT_AUDIO, EXT_FILE = 64, 65, 66


def _pack_custom(value: Any) -> Any:
    """dspy.Image / dspy.Audio / dspy.File as extension types holding their fields."""
    import dspy  # imported here: the protocol itself does not need DSPy

    if isinstance(value, dspy.Image):
        return msgpack.ExtType(EXT_IMAGE, msgpack.packb({"url": value.url}, use_bin_type=True))
    if isinstance(value, dspy.Audio):
        fields = {"data": value.data, "audio_format": value.audio_format}
        return msgpack.ExtType(EXT_AUDIO, msgpack.packb(fields, use_bin_type=True))
    if isinstance(value, dspy.File):
        fields = {"file_data": value.file_data, "file_id": value.file_id, "filename": value.filename}
        return msgpack.ExtType(EXT_FILE, msgpack.packb(fields, use_bin_type=True))
    raise TypeError(f"can not serialize {type(value).__name__!r} object")


def _unpack_custom(code: int, data: bytes) -> Any:
    if code not in (EXT_IMAGE, EXT_AUDIO, EXT_FILE):
        return msgpack.ExtType(code, data)
    import dspy

    fields = msgpack.unpackb(data, raw=False)
    if code == EXT_IMAGE:
        return dspy.Image(url=fields["url"])
    if code == EXT_AUDIO:
        return dspy.Audio(data=fields["data"], audio_format=fields["audio_format"])
    return dspy.File(**{k: v for k, v in fields.items() if v is not None})


# One packer per thread (a Packer is not thread-safe): msgpack.packb builds a new one per call,
# which cost more than packing a small frame itself (bench P3).
_packers = threading.local()


def _packer() -> msgpack.Packer:
    packer: msgpack.Packer | None = getattr(_packers, "packer", None)
    if packer is None:
        packer = msgpack.Packer(use_bin_type=True, default=_pack_custom)
        _packers.packer = packer
    return packer


def encode(message: Message, max_frame: int = MAX_FRAME) -> bytes:
    """Encode one message as a frame. Raises TypeError for values MessagePack cannot carry."""
    packer = _packer()
    try:
        body = packer.pack(message)
    except UnicodeEncodeError:
        packer.reset()
        body = packer.pack(_escape_surrogates(message, 0))
    except BaseException:
        packer.reset()  # a failed pack may leave bytes behind in the packer's buffer
        raise
    if len(body) > max_frame:
        raise FrameTooLarge(f"frame of {len(body)} bytes exceeds the limit of {max_frame} bytes")
    return _HEADER.pack(len(body)) + body


def _escape_surrogates(value: Any, depth: int) -> Any:
    """The value with every str that UTF-8 cannot hold replaced by its SURROGATE_EXT form."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
            return value
        except UnicodeEncodeError:
            return msgpack.ExtType(SURROGATE_EXT, value.encode("utf-16-le", _UNICODE_ERRORS))
    if depth > 512:  # msgpack's own nesting limit; packb raises its ValueError for it
        return value
    if isinstance(value, dict):
        return {_escape_surrogates(k, depth + 1): _escape_surrogates(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_escape_surrogates(v, depth + 1) for v in value]
    return value


def _ext_hook(code: int, data: bytes) -> Any:
    if code == SURROGATE_EXT:
        return data.decode("utf-16-le", _UNICODE_ERRORS)
    return _unpack_custom(code, data)


class FrameReader:
    """Accumulates bytes and yields complete messages; partial frames wait for more data."""

    def __init__(self, max_frame: int = MAX_FRAME) -> None:
        self._buf = bytearray()
        self._max = max_frame

    def wanted(self) -> int:
        """Bytes still missing from the frame being assembled (0 when between frames)."""
        buf = self._buf
        if len(buf) < 4:
            return 0
        (length,) = _HEADER.unpack_from(buf, 0)
        return max(0, 4 + length - len(buf))

    def feed(self, data: bytes) -> list[Message]:
        self._buf += data
        out: list[Message] = []
        pos = 0
        buf = self._buf
        while len(buf) - pos >= 4:
            (length,) = _HEADER.unpack_from(buf, pos)
            if length > self._max:
                raise ProtocolError(f"frame length {length} exceeds the limit of {self._max} bytes")
            if len(buf) - pos - 4 < length:
                break
            try:
                msg = msgpack.unpackb(
                    memoryview(buf)[pos + 4 : pos + 4 + length],
                    raw=False,
                    unicode_errors=_UNICODE_ERRORS,
                    ext_hook=_ext_hook,
                )
            except Exception as exc:  # msgpack raises several unrelated types
                raise ProtocolError(f"malformed frame: {exc}") from exc
            if not isinstance(msg, dict) or "k" not in msg:
                raise ProtocolError("frame is not a message map with a kind")
            out.append(msg)
            pos += 4 + length
        if pos:
            del buf[:pos]
        return out


class FrameWriter:
    """Writes whole frames to a file descriptor; safe to share between threads."""

    def __init__(self, fd: int, max_frame: int = MAX_FRAME) -> None:
        self._fd = fd
        self._max = max_frame
        self._lock = threading.Lock()

    def send(self, message: Message) -> None:
        self.write_raw(encode(message, self._max))

    def write_raw(self, frame: bytes) -> None:
        view = memoryview(frame)
        with self._lock:
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
