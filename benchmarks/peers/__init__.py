"""One module per code generator measured by benchmarks/sklearn_peers.py. Each has `NAME` and
`generate(est) -> cbuild.ModelCode`, raising `cbuild.Unsupported(reason)` when the tool cannot
compile the estimator."""
from . import edgec_peer, emlearn_peer, m2cgen_peer, micromlgen_peer, tl2cgen_peer

TOOLS = [edgec_peer, emlearn_peer, m2cgen_peer, micromlgen_peer, tl2cgen_peer]
