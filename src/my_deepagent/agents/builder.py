"""Assemble a deepagents agent around a worktree, with mda's middleware everywhere.

`create_deep_agent(middleware=...)` does not apply that middleware to the default
`general-purpose` subagent behind the `task` tool: its shell commands
would skip the safety rules and its model calls the guard and cost tracking. So the
agent gets an explicit `general-purpose` subagent with deepagents' own description and
prompt, the same backend, and the same middleware instances as the main agent.

Project memory (`memory_dir`) is the main agent's alone: it is what the user's
conversation sees each turn, and a `task` subagent works from the prompt it is given.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from deepagents import create_deep_agent
from deepagents.backends.protocol import BackendProtocol
from deepagents.middleware.subagents import GENERAL_PURPOSE_SUBAGENT, SubAgent
from langchain.agents.middleware import AgentMiddleware
from langchain_core.language_models import BaseChatModel
from langchain_core.tools import BaseTool
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Checkpointer

from my_deepagent.agents.audit_recorder import AuditMiddleware
from my_deepagent.agents.backends import worktree_backend
from my_deepagent.agents.project_memory import ProjectMemoryMiddleware
from my_deepagent.agents.safety import Place, SafetyMiddleware
from my_deepagent.agents.secret_filter import SecretFilterMiddleware
from my_deepagent.agents.tool_call_guard import ToolCallGuardMiddleware
from my_deepagent.domain.persona import SandboxSettings
from my_deepagent.sandbox.launcher import SandboxMode

DEFAULT_SHELL_TIMEOUT_S = 600


def build_agent(
    model: BaseChatModel,
    *,
    worktree: str | os.PathLike[str],
    system_prompt: str,
    checkpointer: Checkpointer | None = None,
    extra_middleware: Sequence[AgentMiddleware] = (),
    tools: Sequence[BaseTool] = (),
    memory: list[str] | None = None,
    own_branches: Collection[str] = (),
    shell_timeout_s: int = DEFAULT_SHELL_TIMEOUT_S,
    backend: BackendProtocol | None = None,
    memory_dir: Path | None = None,
    sandbox: SandboxSettings | None = None,
    sandbox_mode: SandboxMode = "auto",
    place: Place = "worktree",
    audit: AuditMiddleware | None = None,
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """The compiled agent graph: the audit trail (`audit`, outermost), the secret
    filter, guard, safety rules, then `extra_middleware`.

    `backend` defaults to `worktree_backend(worktree, ...)` with the shell confined by
    the persona's `sandbox` allowance (`sandbox_mode` "off": unconfined).
    `memory` is deepagents' `memory=` (files on the backend, read once per thread);
    `memory_dir` a project-memory folder re-read before every turn, main agent only.
    """
    middleware: list[AgentMiddleware] = [
        *([audit] if audit is not None else []),  # outermost: it sees refusals too
        SecretFilterMiddleware(worktree),  # no tool result reaches the model unscrubbed
        ToolCallGuardMiddleware(),
        SafetyMiddleware(worktree, own_branches=own_branches, place=place),
        *extra_middleware,
    ]
    chosen_backend = backend or worktree_backend(
        worktree, timeout_s=shell_timeout_s, sandbox=sandbox, mode=sandbox_mode
    )
    general_purpose: SubAgent = {
        **GENERAL_PURPOSE_SUBAGENT,
        "model": model,
        "tools": list(tools),
        "middleware": middleware,
    }
    main_middleware: list[AgentMiddleware[Any, Any, Any]] = list(middleware)
    if memory_dir is not None:
        main_middleware.append(ProjectMemoryMiddleware(memory_dir))
    return create_deep_agent(
        model,
        list(tools),
        system_prompt=system_prompt,
        middleware=main_middleware,
        subagents=[general_purpose],
        memory=memory,
        backend=chosen_backend,
        checkpointer=checkpointer,
    )
