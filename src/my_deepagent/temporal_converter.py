"""How mda's values become Temporal payloads and failures.

Payloads are pydantic JSON (`temporalio.contrib.pydantic`). Failures, whose message
and stack trace Temporal keeps in history as they are, pass `scrub` first: an
exception that quotes a key (a provider's error, a tool's output) cannot put it into
history. With payload encryption on (`payload_codec`), every payload is sealed and
failures carry their message and stack trace in a sealed attribute too, so the
server keeps only "Encoded failure".

An `MdaError` made from a catalogue key (`MdaError.english`) becomes a failure whose
details are `{"key": ..., "fields": {...}}` (`keyed_details`), its text fields
scrubbed like the message: the client says it in the person's language, while the
message stays the English the worker wrote.
"""

from __future__ import annotations

import dataclasses

import temporalio.api.failure.v1
from temporalio import workflow
from temporalio.converter import DataConverter, DefaultFailureConverter, PayloadConverter

from my_deepagent.errors import MdaError
from my_deepagent.scrub import scrub, scrub_patterns


def keyed_details(error: MdaError) -> list[dict[str, object]]:
    """The failure details saying `error` by its catalogue key: `[{"key", "fields"}]`
    with text and whole-number fields only, the text scrubbed; `[]` without a key."""
    if error.key is None:
        return []
    clean = scrub_patterns if workflow.in_workflow() else scrub
    fields: dict[str, str | int] = {}
    for name, value in error.fields.items():
        if isinstance(value, str):
            fields[name] = clean(value)
        elif isinstance(value, int) and not isinstance(value, bool):
            fields[name] = value
    return [{"key": error.key, "fields": fields}]


class ScrubbingFailureConverter(DefaultFailureConverter):
    """The default failure converter, with the message and stack trace scrubbed."""

    seal = False
    """Move the scrubbed message and stack trace into the encoded attributes (sealed
    by the payload codec), as the SDK's `encode_common_attributes` does."""

    def to_failure(
        self,
        exception: BaseException,
        payload_converter: PayloadConverter,
        failure: temporalio.api.failure.v1.Failure,
    ) -> None:
        super().to_failure(exception, payload_converter, failure)  # causes come back here
        if failure.HasField("encoded_attributes"):
            return  # converted before (an error read back from history)
        # Inside a workflow only the patterns apply: a workflow never holds a key, and
        # reading settings there would be I/O in the sandbox.
        clean = scrub_patterns if workflow.in_workflow() else scrub
        failure.message = clean(failure.message)
        failure.stack_trace = clean(failure.stack_trace)
        details = keyed_details(exception) if isinstance(exception, MdaError) else []
        if details and failure.HasField("application_failure_info"):
            info = failure.application_failure_info
            if not info.HasField("details"):
                info.details.CopyFrom(payload_converter.to_payloads_wrapper(details))
        if self.seal:
            failure.encoded_attributes.CopyFrom(
                payload_converter.to_payloads(
                    [{"message": failure.message, "stack_trace": failure.stack_trace}]
                )[0]
            )
            failure.message = "Encoded failure"
            failure.stack_trace = ""


class SealedFailureConverter(ScrubbingFailureConverter):
    seal = True


def data_converter(*, encrypted: bool) -> DataConverter:
    """mda's converter: pydantic payloads, scrubbed failures, sealed when `encrypted`."""
    from temporalio.contrib.pydantic import pydantic_data_converter

    if not encrypted:
        return dataclasses.replace(
            pydantic_data_converter, failure_converter_class=ScrubbingFailureConverter
        )
    from my_deepagent.payload_codec import EncryptionCodec, payload_keys
    from my_deepagent.settings import get_settings

    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=EncryptionCodec(payload_keys(get_settings())),
        failure_converter_class=SealedFailureConverter,
    )
