"""Token counts with tiktoken's real encodings, offline, and models' context windows.

tiktoken downloads its encoding files on first use, which fails offline and would make
a count depend on the network. The installed `bpe-openai` package ships the same
`cl100k_base` and `o200k_base` rank files as package data (`<base64 token> <rank>` per
line, gzipped), so they are parsed here into `tiktoken.Encoding` objects with
tiktoken's own split patterns and special tokens: the ids are tiktoken's, nothing is
fetched. Each encoding is built once per process, on first use (about 0.1 s).

Models that are not OpenAI's get `cl100k_base`: their own tokenizers are not
available offline, and a count within some percent is what compaction and budgets
need. OpenAI's recent models (gpt-4o, gpt-4.1, gpt-5, o-series) use `o200k_base`, as
tiktoken's own model table says.
"""

from __future__ import annotations

import base64
import gzip
import importlib.util
import json
import re
import threading
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import tiktoken
import tiktoken.model

from my_deepagent.catalogue import msg
from my_deepagent.errors import MdaError

if TYPE_CHECKING:
    from langchain_core.messages import BaseMessage

EncodingName = Literal["cl100k_base", "o200k_base"]
DEFAULT_ENCODING: EncodingName = "cl100k_base"

# Split patterns and special tokens as in tiktoken_ext/openai_public.py (tiktoken 0.14);
# that module's constructors download the ranks, so only their constants are reused.
_CL100K_PAT_STR = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
_O200K_PAT_STR = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)
_SPECIAL_TOKENS: dict[EncodingName, dict[str, int]] = {
    "cl100k_base": {
        "<|endoftext|>": 100257,
        "<|fim_prefix|>": 100258,
        "<|fim_middle|>": 100259,
        "<|fim_suffix|>": 100260,
        "<|endofprompt|>": 100276,
    },
    "o200k_base": {"<|endoftext|>": 199999, "<|endofprompt|>": 200018},
}
_PATTERNS: dict[EncodingName, str] = {"cl100k_base": _CL100K_PAT_STR, "o200k_base": _O200K_PAT_STR}
_DATA_PACKAGE = "bpe_openai"

# Chat formatting overhead per message and per reply, as in OpenAI's token-counting
# cookbook for the gpt-3.5/4 family; close enough for every chat model.
TOKENS_PER_MESSAGE = 3
TOKENS_PER_REPLY = 3

_build_lock = threading.Lock()


def _data_file(name: EncodingName) -> Path:
    """The rank file inside the installed bpe-openai, found without importing it.

    Importing `bpe_openai` parses all three of its encodings at once (about 0.5 s).
    """
    spec = importlib.util.find_spec(_DATA_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        candidate = Path(location) / "data" / f"{name}.tiktoken.gz"
        if candidate.is_file():
            return candidate
    raise MdaError(msg("assets.encoding_missing", name=name))


def _load_ranks(name: EncodingName) -> dict[bytes, int]:
    ranks: dict[bytes, int] = {}
    with gzip.open(_data_file(name), "rt", encoding="ascii") as lines:
        for line in lines:
            if line.strip():
                token, rank = line.split()
                ranks[base64.b64decode(token)] = int(rank)
    return ranks


@cache
def _encoding_unlocked(name: EncodingName) -> tiktoken.Encoding:
    return tiktoken.Encoding(
        name=name,
        pat_str=_PATTERNS[name],
        mergeable_ranks=_load_ranks(name),
        special_tokens=_SPECIAL_TOKENS[name],
    )


def get_encoding(name: EncodingName = DEFAULT_ENCODING) -> tiktoken.Encoding:
    """The named encoding, built from package data on first use and then reused."""
    with _build_lock:
        return _encoding_unlocked(name)


def _bare_model_name(model: str) -> str:
    """`openrouter:openai/gpt-4o` -> `gpt-4o`: drop the provider and the vendor."""
    name = model.split(":", 1)[1] if ":" in model and not model.startswith("ft:") else model
    return name.rsplit("/", 1)[-1].strip().lower()


def encoding_name_for(model: str | None) -> EncodingName:
    """`o200k_base` for OpenAI models tiktoken maps to it, `cl100k_base` otherwise."""
    if not model:
        return DEFAULT_ENCODING
    try:
        name = tiktoken.model.encoding_name_for_model(_bare_model_name(model))
    except KeyError:
        return DEFAULT_ENCODING
    return "o200k_base" if name.startswith("o200k") else DEFAULT_ENCODING


def count_tokens(text: str, model: str | None = None) -> int:
    """Tokens in `text` for `model` (a `provider:model` spec or a bare name).

    Special-token strings in the text count as ordinary text, as when a user pastes them.
    """
    if not text:
        return 0
    return len(get_encoding(encoding_name_for(model)).encode_ordinary(text))


def content_text(message: BaseMessage) -> str:
    """The message's content as text: text blocks as they are, other blocks as JSON.

    The one reading of `content` (a string or a list of blocks) in mda: token counts
    and the scripted model's parsing of prompts both go through it.
    """
    content = message.content
    if isinstance(content, str):
        return content
    parts: list[str] = []
    for block in content:
        if isinstance(block, str):
            parts.append(block)
        elif block.get("type") == "text":
            parts.append(str(block.get("text", "")))
        else:
            parts.append(json.dumps(block, sort_keys=True, default=str))
    return "\n".join(part for part in parts if part)


def tool_call_text(call: Mapping[str, Any]) -> tuple[str, str]:
    """A tool call as the model writes it: its name and its JSON arguments."""
    return str(call["name"]), json.dumps(call["args"], sort_keys=True)


def message_text(message: BaseMessage) -> str:
    """Everything a model reads or writes in one message: text, tool calls, names."""
    parts: list[str] = [message.type, content_text(message)]
    if message.name:
        parts.append(message.name)
    for call in getattr(message, "tool_calls", None) or ():
        parts.extend(tool_call_text(call))
    return "\n".join(part for part in parts if part)


def count_message_tokens(messages: Sequence[BaseMessage], model: str | None = None) -> int:
    """Tokens a chat model reads for `messages`, including per-message overhead."""
    if not messages:
        return 0
    body = sum(count_tokens(message_text(m), model) + TOKENS_PER_MESSAGE for m in messages)
    return body + TOKENS_PER_REPLY


def count_tool_schema_tokens(tools: Sequence[dict[str, Any]], model: str | None = None) -> int:
    """Tokens of the tool schemas sent along with a call (as canonical JSON)."""
    return count_tokens(json.dumps(list(tools), sort_keys=True), model) if tools else 0


# Context windows in tokens, matched as prefixes of the bare model name (longest
# prefix wins). Figures are the providers' documented defaults, not beta extensions.
CONTEXT_WINDOWS: dict[str, int] = {
    "scripted": 32_768,
    "gpt-5": 400_000,
    "gpt-4.1": 1_047_576,
    "gpt-4o": 128_000,
    "chatgpt-4o": 128_000,
    "gpt-4-turbo": 128_000,
    "gpt-4-32k": 32_768,
    "gpt-4": 8_192,
    "gpt-3.5-turbo": 16_385,
    "gpt-oss": 131_072,
    "o1": 200_000,
    "o1-mini": 128_000,
    "o3": 200_000,
    "o4-mini": 200_000,
    "claude": 200_000,
    "deepseek": 64_000,
    "deepseek-chat": 64_000,
    "deepseek-reasoner": 64_000,
    "deepseek-v3": 128_000,
    "deepseek-r1": 128_000,
    "qwen": 32_768,
    "qwen3-coder": 262_144,
    "gemini": 1_048_576,
    "llama-3.1": 128_000,
    "llama-3.3": 128_000,
    "llama3.1": 128_000,
    "mistral": 32_768,
    "codestral": 256_000,
}
DEFAULT_CONTEXT_WINDOW = 32_768
"""For a model not in the table (a local server's model, a new release): small enough
that compaction starts early rather than the provider refusing an overlong request,
large enough that a deep agent's system prompt and tool schemas fit with room to work."""


_WINDOW_SUFFIX = re.compile(r"-window-([1-9][0-9]*)(?:-|$)")


def context_window(model: str) -> int:
    """The context window of `model` (`provider:model` or a bare name), in tokens.

    A scripted model may name its own: `scripted:summarizer-window-2000` has 2000
    tokens, so tests and demos reach compaction and chunking with short conversations.
    """
    name = _bare_model_name(model)
    if model.startswith("scripted:"):
        sized = _WINDOW_SUFFIX.search(model)
        return int(sized.group(1)) if sized else CONTEXT_WINDOWS["scripted"]
    matches = [prefix for prefix in CONTEXT_WINDOWS if name.startswith(prefix)]
    if not matches:
        return DEFAULT_CONTEXT_WINDOW
    return CONTEXT_WINDOWS[max(matches, key=len)]
