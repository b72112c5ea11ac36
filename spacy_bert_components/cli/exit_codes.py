"""Exit codes of the long-running commands (`annotate`, `pretrain`), the same
for both so that scripts and schedulers can tell what to do next."""

EXIT_ERRORS = 1  # done, with error rows
EXIT_USAGE = 2  # bad usage, input or environment; nothing was done
EXIT_FAILED = 3  # the run failed: fix the cause and --resume
EXIT_INTERRUPTED = 130  # interrupted: --resume
