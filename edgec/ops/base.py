"""OpDef: the single definition of an operator that every part of edgec reads.

An operator's shape rule, float reference (numpy), and C emission live together in one OpDef so
that the simulator, the constant folder, the fuser and the C back end cannot drift apart.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable

import numpy as np

from edgec.ir.graph import DType, TensorType

InferFn = Callable[[Any, list[TensorType]], list[TensorType]]
RefFn = Callable[[Any, list[np.ndarray]], list[np.ndarray]]


@dataclass(frozen=True)
class OpDef:
    """Everything edgec knows about one IR operator.

    Attributes:
        name: IR op name (lower_snake).
        infer: (attrs, input types) -> output types. Raises ShapeError on bad shapes.
        ref: (attrs, input arrays) -> output arrays; the float reference, numpy float32.
        emit: (EmitContext, node) -> None; appends the C kernel call(s). None: not emittable.
        sources: runtime_c/src files (without .c) the C kernel needs.
        alias: the output is input 0 reinterpreted (reshape-like); it may share its buffer.
        inplace: element-wise; the output may overwrite input 0's buffer when it dies here.
        activation: a pointwise activation that `fuse_activation` may fold into a producer.
        accepts_activation: a producer (conv, gemm) whose kernel applies a fused activation;
            its attrs dataclass then has an `act: Activation | None` field.
        layout: for NCHW-sensitive ops: (node) -> (new attrs, new inputs) of the same op computing
            the same result on NHWC input/output (constant inputs such as weights re-laid out).
            The layout pass wraps the node in transposes and calls this.
        permute: for ops that commute with a transpose: (attrs, perm, in_types) -> attrs' such
            that op(transpose(x, perm), attrs) == transpose(op(x, attrs'), perm_out), or None if
            not possible. perm_out == perm unless the op changes rank. Used by transpose sinking.
        macs: (attrs, in types, out types) -> multiply-accumulates, for reports.
        scratch: (attrs, in types, out types) -> bytes of scratch memory the C kernel needs for
            one call (its C `_scratch_size()` function's value for the same parameters). The
            planner reserves it in the arena for that step only; `emit` passes it with
            ctx.scratch(). None (or 0): the kernel needs none. In types omit absent inputs.
        quantize: (QuantContext, float node) -> None: adds the int8 node(s) computing this float
            node (see edgec/quant/quantize.py); return False to decline (e.g. unsupported attrs),
            which makes the node a float island or an error. None: no int8 kernel.
    """

    name: str
    infer: InferFn
    ref: RefFn
    emit: Callable[..., None] | None = None
    sources: tuple[str, ...] = ()
    alias: bool = False
    inplace: bool = False
    activation: bool = False
    accepts_activation: bool = False
    layout: Callable[..., tuple[Any, list]] | None = None
    permute: Callable[..., Any] | None = None
    macs: Callable[[Any, list[TensorType], list[TensorType]], int] | None = None
    quantize: Callable[..., Any] | None = None
    scratch: Callable[[Any, list[TensorType], list[TensorType]], int] | None = None


REGISTRY: dict[str, OpDef] = {}


def register(opdef: OpDef) -> OpDef:
    if opdef.name in REGISTRY:
        raise RuntimeError(f"op {opdef.name} registered twice")
    REGISTRY[opdef.name] = opdef
    return opdef


def get(name: str) -> OpDef:
    return REGISTRY[name]


def attach(name: str, **fields: Any) -> OpDef:
    """Adds fields to an op defined in another module (e.g. its int8 `quantize` rule, which
    lives with the int8 kernels of its family)."""
    REGISTRY[name] = replace(REGISTRY[name], **fields)
    return REGISTRY[name]


def same_as_input(attrs: Any, types: list[TensorType]) -> list[TensorType]:
    """Shape rule of unary element-wise ops."""
    return [TensorType(types[0].shape, types[0].dtype)]


def f32(x: Any) -> np.ndarray:
    return np.asarray(x, dtype=np.float32)


@dataclass(frozen=True)
class NoAttrs:
    """Attributes of an op that has none."""


@dataclass(frozen=True)
class Activation:
    """A pointwise activation fused into a producer; `kind` is an activation op name."""

    kind: str
    alpha: float = 0.0
    beta: float = 0.0


def dtype_of(types: list[TensorType], i: int = 0) -> DType:
    return types[i].dtype


def keep_attrs(attrs: Any, perm: tuple[int, ...], in_types: list[TensorType]) -> Any:
    """`permute` rule of element-wise ops: they commute with any transpose unchanged."""
    return attrs
