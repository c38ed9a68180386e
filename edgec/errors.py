"""Every error edgec raises on purpose is an EdgecError, so the CLI can print one line and exit 2."""
from __future__ import annotations


class EdgecError(Exception):
    """Base class: a problem with the user's model, data or options (not a bug in edgec)."""


class ModelLoadError(EdgecError):
    """The model file is missing, truncated, or not a model edgec can read."""


class UnsupportedOpError(EdgecError):
    """An operator (or an attribute value of one) that edgec cannot compile."""

    def __init__(self, op_type: str, node_name: str, reason: str = "", supported: list[str] | None = None):
        self.op_type, self.node_name = op_type, node_name
        msg = f"node '{node_name}': op {op_type} is not supported"
        if reason:
            msg += f" ({reason})"
        if supported:
            msg += f"; supported ops: {', '.join(sorted(supported))}"
        super().__init__(msg)


class ShapeError(EdgecError):
    """A shape that is unknown (symbolic), inconsistent, or that an op cannot accept."""


class DataError(EdgecError):
    """An input/output data file whose names or shapes do not match the model."""


class BuildError(EdgecError):
    """The C compiler failed on emitted code (this is a bug in edgec; the message shows the log)."""


class VerificationError(EdgecError):
    """The compiled C does not match the reference beyond the tolerance."""


class GraphError(EdgecError):
    """The IR verifier found a malformed graph (names the pass that broke it)."""
