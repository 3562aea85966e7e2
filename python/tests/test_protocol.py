import os
import struct

import msgpack
import pytest

from dspex_worker.protocol import FrameReader, FrameTooLarge, FrameWriter, ProtocolError, encode


def test_encode_is_length_prefixed_msgpack() -> None:
    frame = encode({"k": "result", "id": 7, "value": [1, "a", None]})
    (length,) = struct.unpack(">I", frame[:4])
    assert length == len(frame) - 4
    assert msgpack.unpackb(frame[4:]) == {"k": "result", "id": 7, "value": [1, "a", None]}


def test_reader_reassembles_frames_split_anywhere() -> None:
    frames = b"".join(encode({"k": "call", "id": i, "args": "x" * i}) for i in range(50))
    reader = FrameReader()
    got = []
    for start in range(0, len(frames), 7):
        got.extend(reader.feed(frames[start : start + 7]))
    assert [m["id"] for m in got] == list(range(50))
    assert got[10]["args"] == "x" * 10


def test_bytes_survive() -> None:
    reader = FrameReader()
    [msg] = reader.feed(encode({"k": "result", "id": 1, "value": b"\x00\xff"}))
    assert msg["value"] == b"\x00\xff"


def test_oversized_length_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="exceeds the limit"):
        FrameReader(max_frame=1024).feed(struct.pack(">I", 4096) + b"\x00")


def test_malformed_body_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="malformed frame"):
        FrameReader().feed(struct.pack(">I", 4) + b"\xc1\xc1\xc1\xc1")


def test_a_message_without_kind_is_rejected() -> None:
    body = msgpack.packb([1, 2, 3])
    with pytest.raises(ProtocolError, match="kind"):
        FrameReader().feed(struct.pack(">I", len(body)) + body)


def test_encode_refuses_unserialisable_and_oversized_values() -> None:
    with pytest.raises(TypeError):
        encode({"k": "result", "id": 1, "value": object()})
    with pytest.raises(FrameTooLarge):
        encode({"k": "result", "id": 1, "value": "x" * 2000}, max_frame=1000)


def test_writer_writes_whole_large_frames_to_a_pipe() -> None:
    read_fd, write_fd = os.pipe()
    try:
        payload = "y" * (3 * 1024 * 1024)  # larger than a pipe buffer: needs partial writes
        reader = FrameReader()
        import threading

        got: list[dict] = []

        def drain() -> None:
            while not got:
                got.extend(reader.feed(os.read(read_fd, 1 << 16)))

        t = threading.Thread(target=drain)
        t.start()
        FrameWriter(write_fd).send({"k": "result", "id": 3, "value": payload})
        t.join(10)
        assert got and got[0]["value"] == payload
    finally:
        os.close(read_fd)
        os.close(write_fd)


def test_dspy_custom_types_round_trip_as_extension_types() -> None:
    import dspy

    values = [
        dspy.Image("https://example.com/cat.png"),
        dspy.Audio(data="UklGRg==", audio_format="wav"),
        dspy.File(file_data="data:application/pdf;base64,JVBERg==", filename="p.pdf"),
        dspy.File(file_id="file-1"),
    ]
    [message] = FrameReader().feed(encode({"k": "result", "id": 1, "value": values}))
    got = message["value"]
    assert [type(v) for v in got] == [dspy.Image, dspy.Audio, dspy.File, dspy.File]
    assert got[0].url == "https://example.com/cat.png"
    assert (got[1].data, got[1].audio_format) == ("UklGRg==", "wav")
    assert (got[2].file_data, got[2].filename, got[3].file_id) == (values[2].file_data, "p.pdf", "file-1")
    # Other extension codes are left alone, not guessed at.
    [other] = FrameReader().feed(encode({"k": "result", "id": 2, "value": msgpack.ExtType(5, b"x")}))
    assert other["value"] == msgpack.ExtType(5, b"x")


def test_unserialisable_values_still_raise_type_error() -> None:
    with pytest.raises(TypeError):
        encode({"k": "result", "id": 1, "value": object()})


def test_lone_surrogates_round_trip_as_the_same_str() -> None:
    value = {"k": "result", "id": 1, "value": ["a\ud83d", {"\udc00key": "x" * 100 + "\ud800"}, "plain", "\U0001f600"]}
    frame = encode(value)
    [msg] = FrameReader().feed(frame)
    assert msg == value
    # Ordinary strings are not escaped: the ext form appears only where UTF-8 cannot go.
    assert msgpack.unpackb(encode({"k": "x", "v": "plain \U0001f600"})[4:]) == {"k": "x", "v": "plain \U0001f600"}


def test_wtf8_bytes_from_another_writer_do_not_end_the_reader() -> None:
    body = msgpack.packb({"k": "call", "args": "a\ud83d"}, use_bin_type=True, unicode_errors="surrogatepass")
    [msg] = FrameReader().feed(struct.pack(">I", len(body)) + body)
    assert msg["args"] == "a\ud83d"
