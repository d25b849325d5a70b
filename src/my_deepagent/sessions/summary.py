"""The summariser: one structured summary of any transcript, within the model's window.

`summarise` never asks for more than `REQUEST_SHARE` of the summariser's own window
(the rest is left for its answer): a longer transcript is cut into chunks that fit,
each chunk is summarised, and the chunk summaries are summarised in turn until one
request holds them all; a message bigger than a chunk is cut into pieces first. If a
round does not shrink the text (a model that echoes instead of summarising), the
entries are cut to fit and asked for once more, so the number of calls is bounded
whatever the model answers. An answer without the section headings is returned as it
is: asking again could loop. The request's format is `summary_format.py`'s.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from itertools import pairwise
from typing import TYPE_CHECKING

from my_deepagent.catalogue import english
from my_deepagent.errors import ConfigError
from my_deepagent.sessions.summary_format import TranscriptMessage, entry_text, summary_request
from my_deepagent.tokens import (
    TOKENS_PER_MESSAGE,
    TOKENS_PER_REPLY,
    count_tokens,
    encoding_name_for,
    get_encoding,
)

if TYPE_CHECKING:
    from langchain_core.language_models import LanguageModelInput
    from langchain_core.messages import AIMessage, BaseMessage
    from langchain_core.runnables import Runnable

    SummaryModel = Runnable[LanguageModelInput, BaseMessage]
    """A chat model, or one bound with a config (callbacks, tags)."""

REQUEST_SHARE = 0.6
"""At most this share of the summariser's window goes to one request."""
MAX_ROUNDS = 6
"""Chunk-and-merge rounds before the entries are cut to fit: each round shrinks the
text, so real transcripts need two or three."""
MIN_SHARE = 24
"""Fewest content tokens an entry keeps when entries are cut to fit."""
PIECE_SHARE = 0.9
"""A piece of an oversized message fills this share of a chunk's room, leaving a
margin for tokens that merge differently once the piece stands alone."""


@dataclass(frozen=True)
class SummaryResult:
    """The summary text and what producing it cost (every call, chunks included)."""

    text: str
    model_calls: int
    input_tokens: int
    output_tokens: int


OnCall = Callable[["AIMessage"], Awaitable[None]]
"""Called with each answer as it arrives, so a caller can record every paid call."""


@dataclass
class _Summariser:
    model: SummaryModel
    model_name: str | None
    budget: int
    system_prompt: str
    on_call: OnCall | None
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0

    def request_tokens(self, messages: Sequence[TranscriptMessage]) -> int:
        text = f"{self.system_prompt}\n{summary_request(messages)}"
        messages_count = 2 if self.system_prompt else 1
        return (
            count_tokens(text, self.model_name)
            + TOKENS_PER_MESSAGE * messages_count
            + TOKENS_PER_REPLY
        )

    @cached_property
    def room(self) -> int:
        """Tokens a chunk's transcript entries may take, beyond the fixed prompt (the
        prompt is the same for every request: counted once)."""
        return self.budget - self.request_tokens(())

    async def ask(self, messages: Sequence[TranscriptMessage]) -> str:
        from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

        from my_deepagent.tokens import content_text

        request = summary_request(messages)
        prompt = [SystemMessage(self.system_prompt)] if self.system_prompt else []
        answer = await self.model.ainvoke([*prompt, HumanMessage(request)])
        text = content_text(answer).strip()
        usage = getattr(answer, "usage_metadata", None)
        self.calls += 1
        if usage is not None:
            self.input_tokens += usage["input_tokens"]
            self.output_tokens += usage["output_tokens"]
        else:
            self.input_tokens += self.request_tokens(messages)
            self.output_tokens += count_tokens(text, self.model_name)
        if self.on_call is not None and isinstance(answer, AIMessage):
            await self.on_call(answer)
        return text

    def entry_tokens(self, message: TranscriptMessage) -> int:
        return count_tokens(entry_text(message, "99/99"), self.model_name) + 1

    def pieces(self, message: TranscriptMessage) -> list[TranscriptMessage]:
        """`message` cut at token boundaries into pieces that each fit a chunk."""
        room = self.room
        overhead = self.entry_tokens(replace(message, content=""))
        size = max(1, int((room - overhead) * PIECE_SHARE))
        encoding = get_encoding(encoding_name_for(self.model_name))
        ids = encoding.encode_ordinary(message.content)
        if len(ids) <= size:
            return [message]
        _, offsets = encoding.decode_with_offsets(ids)
        cuts = [offsets[i] for i in range(0, len(ids), size)] + [len(message.content)]
        return [
            replace(message, content=message.content[a:b], token_count=0)
            for a, b in pairwise(cuts)
            if a < b
        ]

    def chunks(self, messages: Sequence[TranscriptMessage]) -> list[list[TranscriptMessage]]:
        """Consecutive groups of `messages` whose requests each fit the budget."""
        room = self.room
        groups: list[list[TranscriptMessage]] = [[]]
        used = 0
        for message in messages:
            for piece in self.pieces(message):
                tokens = self.entry_tokens(piece)
                if groups[-1] and used + tokens > room:
                    groups.append([])
                    used = 0
                groups[-1].append(piece)
                used += tokens
        return [part for group in groups for part in self.fitting(group)]

    def fitting(self, group: list[TranscriptMessage]) -> list[list[TranscriptMessage]]:
        """`group` as it is if its request fits (the estimate above is a sum of parts),
        else halved until every half does."""
        if len(group) == 1 or self.request_tokens(group) <= self.budget:
            return [group]
        middle = len(group) // 2
        return self.fitting(group[:middle]) + self.fitting(group[middle:])

    def cut_to_fit(self, messages: Sequence[TranscriptMessage]) -> list[TranscriptMessage]:
        """The last resort: every entry cut to an equal share of the room, or, when
        there are too many entries for that, all of them as one entry cut to fit."""
        room = self.room
        share = room // len(messages)
        if share < self.entry_tokens(replace(messages[0], content="")) + MIN_SHARE:
            merged = "\n\n".join(f"{m.role}: {m.content}" for m in messages)
            messages, share = [TranscriptMessage(0, "system", merged, 0, True)], room
        return [self.shortened(message, share) for message in messages]

    def shortened(self, message: TranscriptMessage, tokens: int) -> TranscriptMessage:
        """`message` with its content cut so that its entry takes about `tokens`."""
        keep = int((tokens - self.entry_tokens(replace(message, content=""))) * PIECE_SHARE)
        encoding = get_encoding(encoding_name_for(self.model_name))
        ids = encoding.encode_ordinary(message.content)
        if len(ids) <= keep:
            return message
        _, offsets = encoding.decode_with_offsets(ids)
        head = message.content[: offsets[max(0, keep - 3)]].rstrip()
        return replace(message, content=f"{head} [...]")


def request_budget(window: int) -> int:
    """The largest request (tokens) `summarise` sends a summariser with this window."""
    return int(window * REQUEST_SHARE)


def _model_name(model: SummaryModel) -> str | None:
    for attribute in ("model_spec", "model_name", "model"):
        value = getattr(model, attribute, None)
        if isinstance(value, str) and value:
            return value
    return None


async def summarise(
    model: SummaryModel,
    messages: Sequence[TranscriptMessage],
    *,
    window: int,
    system_prompt: str = "",
    on_call: OnCall | None = None,
) -> SummaryResult:
    """One structured summary of `messages` by `model`, whose context window is `window`.

    `system_prompt` (a summariser persona's) goes first in every call; `on_call` sees
    each answer. Raises ValueError when there is nothing to summarise, ConfigError when
    the window cannot hold the instructions and some transcript.
    """
    if not messages:
        raise ValueError("there are no messages to summarise")
    summariser = _Summariser(
        model, _model_name(model), request_budget(window), system_prompt, on_call
    )
    if summariser.room < summariser.entry_tokens(replace(messages[0], content="")) + 2 * MIN_SHARE:
        raise ConfigError(english("chat.summariser_window_small", window=window))
    entries = list(messages)
    size = summariser.request_tokens(entries)
    for _ in range(MAX_ROUNDS):
        if size <= summariser.budget:
            break
        summaries = [await summariser.ask(group) for group in summariser.chunks(entries)]
        entries = [
            TranscriptMessage(index, "system", text, 0, is_summary=True)
            for index, text in enumerate(summaries)
        ]
        before, size = size, summariser.request_tokens(entries)
        if size >= before:
            break
    if size > summariser.budget:
        entries = summariser.cut_to_fit(entries)
    text = await summariser.ask(entries)
    return SummaryResult(
        text=text,
        model_calls=summariser.calls,
        input_tokens=summariser.input_tokens,
        output_tokens=summariser.output_tokens,
    )
