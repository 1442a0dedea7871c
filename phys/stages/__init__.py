"""Stage adapters: each turns a `StageContext` (config, seed, upstream folders, callbacks) into a call of
the science and a dict of metrics. The only layer that knows both a stage's config and the science's API."""
