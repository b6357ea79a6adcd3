"""Every kind of bad input exits with code 2 and one line that names the problem and the fix, and leaves no result file
behind. Runs anywhere: every case is refused before a GPU would be touched, and uses --predict or --out so that a
wrongly accepted input would write files this test would see."""

from __future__ import annotations

import json
import subprocess

import pytest

CONFIG_OK = {"hidden_size": 4096, "num_attention_heads": 32, "intermediate_size": 11008}

# (id, arguments, phrase the message must contain)
CLI_CASES = [
    ("batch zero", ["--batch", "0"], "at least 1"),
    ("batch negative", ["--batch", "-4"], "not a whole number"),
    ("batch overflow", ["--batch", "99999999999999999999999999"], "too large"),
    ("batch beyond limit", ["--batch", "5000"], "too large"),
    ("batch not numeric", ["--batch", "two"], "not a whole number"),
    ("batch decimal", ["--batch", "1.5"], "not a whole number"),
    ("batch empty item", ["--batch", "1,,4"], "empty item"),
    ("batch trailing comma", ["--batch", "1,"], "empty item"),
    ("batch empty", ["--batch", ""], "needs a value"),
    ("batch missing", ["--batch"], "needs a value"),
    ("batch repeated", ["--batch", "2,2"], "appears twice"),
    ("seq zero", ["--seq", "0"], "at least 1"),
    ("seq too long", ["--seq", "2000000"], "too large"),
    ("seq with space", ["--seq", " 128"], "not a whole number"),
    ("gpu negative", ["--gpu", "-1"], "or all"),
    ("gpu name", ["--gpu", "first"], "or all"),
    ("gpu overflow", ["--gpu", "4294967296"], "too large"),
    ("repetitions zero", ["--repetitions", "0"], "at least 1"),
    ("repetitions huge", ["--repetitions", "100000"], "too large"),
    ("unknown phase", ["--phase", "decode"], "use init, ar"),
    ("all among phases", ["--phase", "init,all"], "or all alone"),
    ("candidates zero", ["--phase", "medusa", "--candidates", "0"], "at least 1"),
    ("candidates negative", ["--phase", "medusa", "--candidates", "-3"], "not a whole number"),
    ("candidates not numeric", ["--phase", "medusa", "--candidates", "abc"], "not a whole number"),
    ("candidates empty item", ["--phase", "medusa", "--candidates", "16,,32"], "empty item"),
    ("candidates repeated", ["--phase", "medusa", "--candidates", "16,16"], "appears twice"),
    ("candidates beyond limit", ["--phase", "medusa", "--candidates", "5000"], "too large"),
    ("candidates without medusa", ["--candidates", "16", "--phase", "ar"], "add medusa to --phase"),
    ("candidates with default phases", ["--candidates", "16"], "add medusa to --phase"),
    ("unknown op", ["--ops", "attention"], "q_proj"),
    ("op empty item", ["--ops", "q_proj,"], "empty item"),
    ("unknown impl", ["--impl", "triton"], "use hand, cublas"),
    ("unknown dtype", ["--dtype", "fp8"], "use fp16, bf16"),
    ("unknown l2 mode", ["--l2", "hot"], "use cold"),
    ("unknown model", ["--model", "llama-34b"], "llama-33b"),
    ("empty model", ["--model", ""], "built-in name"),
    ("unknown spec", ["--spec", "a41"], "use one of"),
    ("unknown log level", ["--log-level", "loud"], "use trace"),
    ("flag with value", ["--quick=yes"], "takes no value"),
    ("unknown option", ["--turbo"], "unknown option"),
    ("stray word", ["measure"], "unknown option"),
    ("bad filter regex", ["--benchmark_filter=("], "not a valid regular expression"),
    ("unknown benchmark flag", ["--benchmark_frobnicate=1"], "unknown Google Benchmark flag"),
    ("random interleaving", ["--benchmark_enable_random_interleaving=true"], "ceilings first"),
    ("benchmark list", ["--benchmark_list_tests=true"], "bench_llama --list"),
    ("benchmark warm-up", ["--benchmark_min_warmup_time=1"], "warms every point up itself"),
    ("benchmark format", ["--benchmark_format=json"], "gbench.json"),
    ("benchmark out unwritable", ["--benchmark_out=/proc/gb.json"], "cannot be written"),
    ("too large to count", ["--batch", "4096", "--seq", "1048576", "--ops", "qk"], "too large to count"),
    ("predict without spec", ["--predict"], "--spec"),
]

CONFIG_CASES = [
    ("missing file", None, "cannot read model config"),
    ("a folder", "FOLDER", "cannot read model config"),
    ("empty file", "", "not valid JSON"),
    ("not json", "hello", "not valid JSON"),
    ("truncated", '{"hidden_size": 4096, "num_attention', "not valid JSON"),
    ("array", "[4096, 32, 11008]", "expected a JSON object"),
    ("string number", {**CONFIG_OK, "hidden_size": "4096"}, "must be a number"),
    ("bool", {**CONFIG_OK, "num_attention_heads": True}, "must be a number"),
    ("null", {**CONFIG_OK, "intermediate_size": None}, "missing field"),
    ("missing field", {"hidden_size": 4096, "num_attention_heads": 32}, 'missing field "intermediate_size"'),
    ("fraction", {**CONFIG_OK, "hidden_size": 4096.5}, "whole number"),
    ("zero", {**CONFIG_OK, "intermediate_size": 0}, "must be positive"),
    ("negative", {**CONFIG_OK, "hidden_size": -4096}, "must be positive"),
    ("huge", {**CONFIG_OK, "hidden_size": 1e300}, "too large"),
    ("heads do not divide hidden", {**CONFIG_OK, "num_attention_heads": 30}, "does not divide hidden_size"),
    ("kv heads do not divide heads", {**CONFIG_OK, "num_key_value_heads": 5}, "must divide num_attention_heads"),
]


@pytest.mark.parametrize(
    "content",
    [b"\x7fELF\x02\x01\x01\x00\x00\xff\xfe\x1b[31m", b'{"hidden_size": \xff\xfe, "x": 1}',
     b'{"hidden_size": 4096, "num_attention_heads": 32, "intermediate_size": 11008, "head_dim": "\\u0007\xc3\xa9"}'],
    ids=["elf", "bytes in a value", "control character in a string"],
)  # fmt: skip
def test_a_binary_config_is_quoted_escaped_never_raw(bench_llama, tmp_path, content):
    path = tmp_path / "config.json"
    path.write_bytes(content)
    result = subprocess.run([bench_llama, "--predict", "--spec", "a40", "--model", path, "--out", tmp_path / "out"],
                            capture_output=True, timeout=60)  # fmt: skip
    assert result.returncode == 2, result.stderr
    message = result.stderr.decode("utf-8")  # raw bytes such as \xff would not decode
    assert message.count("\n") == 1 and message.startswith("bench_llama: "), message
    assert all(ch.isprintable() for ch in message.rstrip("\n")), repr(message)
    assert not (tmp_path / "out").exists()


def refused(bench_llama, args, phrase, tmp_path):
    out = tmp_path / "out"
    result = subprocess.run([bench_llama, *args, "--out", out] if "--out" not in args else [bench_llama, *args],
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 2, f"exit {result.returncode}: {result.stderr}"
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, f"one message expected:\n{result.stderr}"
    assert phrase in lines[0], lines[0]
    assert lines[0].startswith("bench_llama: ")
    assert not out.exists(), "a refused run left a result folder behind"
    return lines[0]


@pytest.mark.parametrize("case, args, phrase", CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_bad_command_line(bench_llama, tmp_path, case, args, phrase):
    refused(bench_llama, ["--predict", "--spec", "a40", *args] if "--predict" not in args else args, phrase, tmp_path)


@pytest.mark.parametrize("case, content, phrase", CONFIG_CASES, ids=[c[0] for c in CONFIG_CASES])
def test_bad_config_file(bench_llama, tmp_path, case, content, phrase):
    path = tmp_path / "config.json"
    if content == "FOLDER":
        path.mkdir()
    elif isinstance(content, str):
        path.write_text(content)
    elif content is not None:
        path.write_text(json.dumps(content))
    refused(bench_llama, ["--predict", "--spec", "a40", "--model", path], phrase, tmp_path)


@pytest.mark.parametrize(
    "where, phrase",
    [
        ("file", "is a file"),
        ("under_file", "is not a folder"),
        ("occupied", "already holds files"),
        ("proc", "cannot create folders"),
    ],  # fmt: skip
)
def test_output_folder_that_cannot_be_written(bench_llama, tmp_path, where, phrase):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "roofline.csv").write_text("earlier run\n")
    out = {"file": blocker, "under_file": blocker / "x", "occupied": occupied, "proc": "/proc/bench_llama_out"}[where]
    message = refused(bench_llama, ["--predict", "--spec", "a40", "--out", out], phrase, tmp_path)
    assert "--out" in message
    assert (occupied / "roofline.csv").read_text() == "earlier run\n", "an earlier run's file was touched"


def test_a_good_run_is_accepted_by_the_same_harness(bench_llama, tmp_path):
    """The cases above fail for their own reasons: the same call with good values succeeds and writes the folder."""
    out = tmp_path / "out"
    result = subprocess.run([bench_llama, "--predict", "--spec", "a40", "--batch", "1,2", "--no-plot", "--out", out],
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (out / "roofline.csv").is_file()
