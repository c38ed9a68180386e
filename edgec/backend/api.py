"""The estimator-style C API of models imported from scikit-learn: `<name>_predict` and friends.

Each function is a thin wrapper over `<name>_run` with the static arena: it runs the whole graph
(every method's output is a by-product of the same few nodes) and returns or copies the one the
caller asked for. Built here as plain strings so the templates only place them.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ApiFunction:
    decl: str        # prototype with its comment, for the header
    definition: str  # the function, for the model's .c


@dataclass
class ApiSpec:
    """What backend.c needs to know: kind, method per output (same order), classes."""

    kind: str
    methods: tuple[str, ...]
    labels: tuple[int, ...] | None = None
    class_names: tuple[str, ...] | None = None


def _c_string(s: str) -> str:
    return '"' + "".join(ch if ch.isalnum() or ch in " _-.:,+/()" else f"\\x{ord(ch):02x}" if ord(ch) < 128 else "?"
                         for ch in s) + '"'


def api_functions(spec: ApiSpec, name: str, inputs, outputs,
                  direct: dict[str, str] | None = None) -> tuple[list[ApiFunction], list[str], list[str]]:
    """(functions, header extra lines, source extra lines) for one model. direct: output param ->
    a function computing that one-value output from the input alone (e.g. a decision tree's
    label), which its method calls instead of running the graph."""
    direct = direct or {}
    NAME = name.upper()
    x = inputs[0]
    header = [f"#define {NAME}_NUM_FEATURES {x.size}"]
    source: list[str] = []
    if spec.labels is not None:
        header.append(f"#define {NAME}_NUM_CLASSES {len(spec.labels)}")
        header.append(f"/* the label `{name}_predict` returns for each class, in class order */")
        header.append(f"extern const int32_t {name}_class_labels[{NAME}_NUM_CLASSES];")
        source.append(f"const int32_t {name}_class_labels[{NAME}_NUM_CLASSES] = {{{', '.join(map(str, spec.labels))}}};")
        if spec.class_names is not None:
            header.append(f"/* class names; `{name}_predict` returns an index into this table */")
            header.append(f"extern const char *const {name}_class_names[{NAME}_NUM_CLASSES];")
            source.append(f"const char *const {name}_class_names[{NAME}_NUM_CLASSES] = "
                          f"{{{', '.join(_c_string(s) for s in spec.class_names)}}};")
    locals_ = "\n".join(f"    {p.ctype} {p.param}[{p.size}];" for p in outputs)
    call = f"    (void){name}_run({x.param}, {', '.join(p.param for p in outputs)}, NULL);"
    funcs = []
    for method, port in zip(spec.methods, outputs):
        fn = f"{name}_{method}"
        what = _describe(spec, method, port)
        if port.size == 1 and port.param in direct:
            decl = f"{port.ctype} {fn}(const float *{x.param})"
            body = f"    return {direct[port.param]}({x.param});"
        elif port.size == 1:
            ret = port.ctype
            decl = f"{ret} {fn}(const float *{x.param})"
            body = f"{locals_}\n{call}\n    return {port.param}[0];"
        else:
            decl = f"void {fn}(const float *{x.param}, {port.ctype} *out)"
            body = f"{locals_}\n{call}\n    memcpy(out, {port.param}, sizeof {port.param});"
        funcs.append(ApiFunction(f"/* {what.replace('*/', '* /')} */\n{decl};", f"{decl}\n{{\n{body}\n}}"))
    return funcs, header, source


def _describe(spec: ApiSpec, method: str, port) -> str:
    n = f"{port.size} values" if port.size > 1 else "one value"
    if method == "predict":
        what = "the class label" if spec.kind == "classifier" else f"the prediction ({n})"
    else:
        what = f"scikit-learn's {method} ({n})"
    return f"{method}: {what} for one sample of NUM_FEATURES floats. Uses the static arena (if the model has one): not reentrant."
