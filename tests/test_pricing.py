"""Prices: the arithmetic of a call's cost, the shipped list, and `mda pricing
--refresh` against a real HTTP server on loopback serving a recorded OpenRouter
model list (and against a closed port: one line, the cache stays)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage
from langchain_core.messages.ai import UsageMetadata

from my_deepagent.agents.usage import call_cost
from my_deepagent.domain.catalog import load_catalog
from my_deepagent.domain.pricing import ModelPrice, find_price, openrouter_id
from my_deepagent.prices.shipped import shipped_prices
from openai_stub import OpenAIStub
from run_harness import RunEnv
from test_repl import repl

RECORDED = Path(__file__).parent / "recorded" / "openrouter_models.json"


def price(**rates: str) -> ModelPrice:
    return ModelPrice(model="x:y", as_of="2025-10-15", source="test", **rates)


def test_a_call_costs_input_cached_and_output_at_their_rates_exactly() -> None:
    sonnet = price(input="3", output="15", cached_input="0.3")
    cost = sonnet.cost(input_tokens=10_000, output_tokens=2_000, cached_tokens=4_000)
    assert cost == Decimal("0.0492")  # 6000*3 + 4000*0.3 + 2000*15, per million
    without_cache_rate = price(input="3", output="15")
    assert without_cache_rate.cost(input_tokens=1000, output_tokens=0, cached_tokens=500) == (
        Decimal("0.003")
    )
    many = sum((sonnet.cost(input_tokens=1, output_tokens=1) for _ in range(1000)), Decimal(0))
    assert many == Decimal("0.018")  # no float drift over a ledger


def test_openrouter_ids_of_mdas_models() -> None:
    assert openrouter_id("openrouter:deepseek/deepseek-chat") == "deepseek/deepseek-chat"
    assert openrouter_id("openai:gpt-4.1") == "openai/gpt-4.1"
    assert openrouter_id("anthropic:claude-sonnet-4-5") == "anthropic/claude-sonnet-4.5"
    assert openrouter_id("scripted:chat") is None
    assert openrouter_id("openai-compatible:qwen2.5-coder:7b") is None


def test_every_shipped_personas_model_has_a_shipped_price() -> None:
    prices = list(shipped_prices())
    for persona in load_catalog(None).personas():
        found = find_price(prices, persona.model)
        assert found is not None, persona.model
    assert find_price(prices, "openai:gpt-9") is None


@pytest.fixture
def openrouter() -> Iterator[tuple[str, list[str]]]:
    """A loopback server answering `GET /api/v1/models` with the recorded list."""
    served: list[str] = []
    body = RECORDED.read_bytes()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            served.append(self.path)
            status = 200 if self.path == "/api/v1/models" else 404
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/v1", served
    server.shutdown()
    server.server_close()
    thread.join()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pricing(env: RunEnv, *args: str, base_url: str) -> Any:
    env.env["MDA_OPENROUTER_BASE_URL"] = base_url
    result = env.mda("pricing", "--json", *args)
    assert result.returncode == 0, result.stderr
    return {row["model"]: row for row in json.loads(result.stdout)}


def test_refresh_reads_openrouters_list_and_caches_it(
    run_env: RunEnv, openrouter: tuple[str, list[str]]
) -> None:
    base_url, served = openrouter
    before = pricing(run_env, base_url=base_url)
    assert before["openrouter:deepseek/deepseek-chat"]["origin"] == "shipped"
    assert served == []  # listing alone never goes online

    after = pricing(run_env, "--refresh", base_url=base_url)
    assert served == ["/api/v1/models"]
    deepseek = after["openrouter:deepseek/deepseek-chat"]
    assert (deepseek["origin"], deepseek["input_per_mtok"], deepseek["output_per_mtok"]) == (
        "openrouter", "0.3", "0.85",
    )  # fmt: skip
    assert deepseek["cached_input_per_mtok"] == "0.03" and deepseek["age_days"] == 0
    assert after["anthropic:claude-sonnet-4-5"]["origin"] == "openrouter"  # by its OpenRouter id
    assert after["anthropic:claude-haiku-4-5"]["origin"] == "shipped"  # not in the list
    assert after["scripted:chat"]["output_per_mtok"] == "0"

    offline = f"http://127.0.0.1:{closed_port()}/api/v1"
    run_env.env["MDA_OPENROUTER_BASE_URL"] = offline
    failed = run_env.mda("pricing", "--refresh")
    assert failed.returncode == 1
    lines = failed.stderr.strip().splitlines()
    assert len(lines) == 1 and "cached prices stay" in lines[0], failed.stderr
    kept = pricing(run_env, base_url=offline)
    assert kept["openrouter:deepseek/deepseek-chat"]["input_per_mtok"] == "0.3"


def add_persona(env: RunEnv, name: str, model: str) -> None:
    """A user persona `<name>@1` on `model`, which mda has no price for."""
    personas = env.home / "config" / "personas"
    personas.mkdir(parents=True, exist_ok=True)
    (personas / f"{name}@1.yaml").write_text(
        f"id: {name}\nversion: 1\ndescription: A model mda has no price for.\n"
        f"model: {model}\ncapabilities: [chat]\nsystem_prompt: Hi.\n"
        "limits: {max_cost_per_call_usd: 0.01, max_tokens: 1024, max_model_calls: 5}\n"
    )


def test_a_model_without_a_price_is_listed_as_unknown(run_env: RunEnv) -> None:
    add_persona(run_env, "future", "openai:gpt-9")
    listed = pricing(run_env, base_url="http://127.0.0.1:9/api/v1")
    assert listed["openai:gpt-9"] == {"model": "openai:gpt-9", "known": False}
    table = run_env.mda("pricing")
    assert "unknown" in table.stdout and "openai:gpt-9" in table.stdout


def ai(**metadata: Any) -> AIMessage:
    usage = UsageMetadata(
        input_tokens=10_000,
        output_tokens=2_000,
        total_tokens=12_000,
        input_token_details={"cache_read": 4_000},
        output_token_details={"reasoning": 500},
    )
    return AIMessage(content="done", usage_metadata=usage, response_metadata=metadata)


def test_a_calls_cost_is_the_providers_figure_else_the_price_else_unknown() -> None:
    sonnet = price(input="3", output="15", cached_input="0.3")
    reported = call_cost(ai(token_usage={"cost": 0.0511}), sonnet)
    assert (reported.usd, reported.source) == (Decimal("0.0511"), "provider")
    computed = call_cost(ai(), sonnet)
    assert (computed.usd, computed.source) == (Decimal("0.0492"), "price")
    assert (computed.cached_tokens, computed.reasoning_tokens) == (4_000, 500)
    unknown = call_cost(ai(), None)
    assert (unknown.usd, unknown.source) == (None, None)
    assert call_cost(ai(token_usage={"cost": "n/a"}), None).usd is None


def test_the_repl_banner_says_when_the_sessions_model_has_no_price(
    openai_stub: OpenAIStub, run_env: RunEnv
) -> None:
    add_persona(run_env, "local", "openai-compatible:stub-model")
    run_env.start_worker()
    with repl(run_env, "chat", "--agent", "local@1") as (terminal, _):
        banner = terminal.wait_for("Type a message")
    assert "mda has no price for openai-compatible:stub-model" in banner
    with repl(run_env, "chat", "--offline") as (terminal, _):
        banner = terminal.wait_for("Type a message")
    assert "no price" not in banner
