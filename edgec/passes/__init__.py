"""Graph passes: pure functions Graph -> Graph, one per module, run in order by `pipeline`."""
