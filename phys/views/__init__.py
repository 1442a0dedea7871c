"""Pure renderings shared by the core and the shells: report markdown, figures, curves, terminal plots,
and the formatting and colours of numbers, statuses and verdicts. Reads no files and runs nothing."""
