"""The cost preview `mda start` prints before a run starts: an estimate per phase.

An estimate, not a promise: what a phase costs depends on what its agent does. The
arithmetic is fixed and shown so that a user can judge it:

- a phase makes `TYPICAL_CALLS` model calls (or its persona's `max_model_calls`, if
  fewer);
- the first call reads the agent's own prompt and tool schemas
  (`AGENT_OVERHEAD_TOKENS`), the persona's system prompt and the phase's task (its
  prompt, the requirements and the artifact's schema); each later call reads
  `GROWTH_PER_CALL` more (the previous answer and tool result);
- each call writes `TYPICAL_OUTPUT_TOKENS` (or the persona's `max_tokens`, if fewer);
- all at the price in force for the persona's model (none: the cost is unknown).

Repairs and request_changes rounds come on top. The run's caps are shown beside the
total: the caps, not this estimate, are what stops spending.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from my_deepagent.domain.budget import BudgetCaps

if TYPE_CHECKING:
    from my_deepagent.domain.catalog import Catalog
    from my_deepagent.domain.pricing import ModelPrice
    from my_deepagent.workflows.run_types import RunInput

TYPICAL_CALLS = 8
AGENT_OVERHEAD_TOKENS = 3_000
"""deepagents' base prompt and tool schemas, as tiktoken counts them (about 3,000)."""
GROWTH_PER_CALL = 600
TYPICAL_OUTPUT_TOKENS = 500


@dataclass(frozen=True)
class PhaseEstimate:
    phase: str
    persona: str
    model: str
    price: ModelPrice | None
    calls: int
    input_tokens: int
    output_tokens: int

    @property
    def usd(self) -> Decimal | None:
        if self.price is None:
            return None
        return self.price.cost(input_tokens=self.input_tokens, output_tokens=self.output_tokens)


def estimate_phase(
    *,
    phase: str,
    persona: str,
    model: str,
    price: ModelPrice | None,
    task_tokens: int,
    max_model_calls: int,
    max_tokens: int,
) -> PhaseEstimate:
    """The arithmetic of the module docstring for one phase."""
    calls = min(TYPICAL_CALLS, max_model_calls)
    first = AGENT_OVERHEAD_TOKENS + task_tokens
    input_tokens = calls * first + GROWTH_PER_CALL * calls * (calls - 1) // 2
    output_tokens = calls * min(TYPICAL_OUTPUT_TOKENS, max_tokens)
    return PhaseEstimate(phase, persona, model, price, calls, input_tokens, output_tokens)


@dataclass(frozen=True)
class Preview:
    phases: tuple[PhaseEstimate, ...]
    caps: BudgetCaps

    @property
    def total(self) -> Decimal | None:
        """The run's estimate; None when a phase's model has no price."""
        costs = [p.usd for p in self.phases]
        if any(c is None for c in costs):
            return None
        return sum((c for c in costs if c is not None), Decimal(0))

    def to_json(self) -> dict[str, Any]:
        return {
            "phases": [
                {
                    "phase": p.phase,
                    "persona": p.persona,
                    "model": p.model,
                    "input_per_mtok": str(p.price.input) if p.price else None,
                    "output_per_mtok": str(p.price.output) if p.price else None,
                    "calls": p.calls,
                    "input_tokens": p.input_tokens,
                    "output_tokens": p.output_tokens,
                    "estimate_usd": None if p.usd is None else str(p.usd),
                }
                for p in self.phases
            ],
            "total_usd": None if self.total is None else str(self.total),
            "caps": self.caps.model_dump(mode="json"),
        }


def preview_run(
    run_input: RunInput,
    catalog: Catalog,
    requirements: str,
    prices: Mapping[str, ModelPrice | None],
) -> Preview:
    """The run's estimate; `prices` holds the price in force of each persona's model."""
    from my_deepagent.tokens import count_tokens

    template = catalog.template(run_input.template_ref)
    requirement_tokens = count_tokens(requirements)
    phases = []
    for plan in run_input.phases:
        if plan.key in run_input.skip_phases:
            continue
        persona = catalog.persona(plan.persona_ref)
        phase = template.phase(plan.key)
        schema = catalog.schema(phase.artifact.schema_ref).document
        task = count_tokens(persona.system_prompt) + count_tokens(phase.prompt)
        task += requirement_tokens + count_tokens(json.dumps(schema))
        phases.append(
            estimate_phase(
                phase=plan.key,
                persona=persona.ref,
                model=persona.model,
                price=prices.get(persona.model),
                task_tokens=task,
                max_model_calls=persona.limits.max_model_calls,
                max_tokens=persona.limits.max_tokens,
            )
        )
    return Preview(tuple(phases), run_input.budget)
