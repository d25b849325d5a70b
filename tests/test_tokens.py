"""Token counts use tiktoken's real encodings from package data, never the network."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

from my_deepagent import tokens


def test_cl100k_gives_tiktokens_known_ids() -> None:
    assert tokens.get_encoding("cl100k_base").encode("hello world") == [15339, 1917]
    assert tokens.count_tokens("hello world") == 2


def test_o200k_gives_tiktokens_known_ids() -> None:
    assert tokens.get_encoding("o200k_base").encode("hello world") == [24912, 2375]
    assert tokens.count_tokens("hello world", "openai:gpt-4o") == 2


@pytest.mark.parametrize(
    "text", ["안녕하세요, 세계", "naïve café — ünïcödé", "emoji 🚀🧪", "日本語のテキスト"]
)
def test_non_ascii_round_trips(text: str) -> None:
    encoding = tokens.get_encoding("cl100k_base")
    ids = encoding.encode_ordinary(text)
    assert encoding.decode(ids) == text
    assert tokens.count_tokens(text) == len(ids) > 0


def test_special_token_text_counts_as_ordinary_text() -> None:
    assert tokens.count_tokens("<|endoftext|>") > 1


def test_empty_text_is_zero_tokens() -> None:
    assert tokens.count_tokens("") == 0
    assert tokens.count_message_tokens([]) == 0


def test_encodings_are_built_once_per_process() -> None:
    assert tokens.get_encoding("o200k_base") is tokens.get_encoding("o200k_base")


@pytest.mark.parametrize(
    ("model", "encoding"),
    [
        ("openai:gpt-4o", "o200k_base"),
        ("openrouter:openai/gpt-4.1-mini", "o200k_base"),
        ("openai:o3-mini", "o200k_base"),
        ("openai:gpt-5", "o200k_base"),
        ("openai:gpt-4", "cl100k_base"),
        ("anthropic:claude-sonnet-4-5", "cl100k_base"),
        ("openrouter:deepseek/deepseek-chat", "cl100k_base"),
        ("scripted:demo", "cl100k_base"),
        (None, "cl100k_base"),
    ],
)
def test_encoding_per_model(model: str | None, encoding: str) -> None:
    assert tokens.encoding_name_for(model) == encoding


def test_message_tokens_cover_text_tool_calls_and_overhead() -> None:
    call = {"name": "read_file", "args": {"file_path": "/README.md"}, "id": "c1"}
    messages = [
        SystemMessage("You are terse."),
        HumanMessage("read README.md"),
        AIMessage("", tool_calls=[call]),
        ToolMessage("# Title", tool_call_id="c1", name="read_file"),
    ]
    expected = (
        sum(tokens.count_tokens(tokens.message_text(m)) for m in messages)
        + tokens.TOKENS_PER_MESSAGE * len(messages)
        + tokens.TOKENS_PER_REPLY
    )
    assert tokens.count_message_tokens(messages) == expected
    assert "/README.md" in tokens.message_text(messages[2])
    assert tokens.count_message_tokens(messages[:2]) < expected


@pytest.mark.parametrize(
    ("model", "window"),
    [
        ("openrouter:deepseek/deepseek-chat", 64_000),
        ("openrouter:deepseek/deepseek-v3.2", 128_000),
        ("anthropic:claude-sonnet-4-5", 200_000),
        ("openrouter:anthropic/claude-opus-4", 200_000),
        ("openai:gpt-4o", 128_000),
        ("openai:gpt-4o-mini", 128_000),
        ("openai:gpt-4.1", 1_047_576),
        ("openai:o3", 200_000),
        ("openai:o1-mini", 128_000),
        ("openai-compatible:qwen2.5-coder", 32_768),
        ("openai-compatible:qwen2.5:7b", 32_768),
        ("scripted:demo", 32_768),
        ("gpt-4o", 128_000),
    ],
)
def test_context_window_table(model: str, window: int) -> None:
    assert tokens.context_window(model) == window


def test_unknown_model_gets_the_conservative_default() -> None:
    assert tokens.context_window("openai-compatible:my-local-model") == (
        tokens.DEFAULT_CONTEXT_WINDOW
    )


def test_counting_never_touches_the_network(tmp_path: Path) -> None:
    """A fresh process with an empty tiktoken cache and sockets disabled still counts."""
    script = """
import socket, sys
def refuse(*args, **kwargs):
    raise OSError("network used")
socket.socket.connect = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse
from my_deepagent import tokens
print(tokens.get_encoding("cl100k_base").encode("hello world"),
      tokens.get_encoding("o200k_base").encode("hello world"),
      "bpe_openai" in sys.modules)
"""
    cache = tmp_path / "tiktoken-cache"
    cache.mkdir()
    env = {"TIKTOKEN_CACHE_DIR": str(cache), "DATA_GYM_CACHE_DIR": str(cache), "PATH": ""}
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    # bpe_openai is only a data source: importing it would parse three encodings at once.
    assert result.stdout.strip() == "[15339, 1917] [24912, 2375] False"
    assert list(cache.iterdir()) == []


def test_the_network_guard_would_catch_a_download() -> None:
    """The guard above is real: tiktoken's own constructor tries the network and fails."""
    script = """
import socket
def refuse(*args, **kwargs):
    raise OSError("network used")
socket.getaddrinfo = refuse
socket.create_connection = refuse
import tiktoken_ext.openai_public as public
try:
    public.cl100k_base()
except Exception as exc:
    print("refused", type(exc).__name__)
"""
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={"TIKTOKEN_CACHE_DIR": "/nonexistent-mda-test-cache", "PATH": ""},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout.startswith("refused"), result.stdout + result.stderr


@pytest.mark.parametrize(
    ("model", "window"),
    [
        ("scripted:summarizer-window-2000", 2000),
        ("scripted:chat-window-500-explore-3", 500),
        ("scripted:window-2000", 32_768),
        ("scripted:summarizer-window-0", 32_768),
        ("scripted:summarizer-window-20k", 32_768),
        ("openai-compatible:model-window-2000", 32_768),
    ],
)
def test_scripted_model_names_can_set_their_window(model: str, window: int) -> None:
    assert tokens.context_window(model) == window
