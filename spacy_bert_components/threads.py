"""One thread count for every thread pool a pipeline computes with.

`torch.set_num_threads` sets torch's pool only. numpy's BLAS (the layer
mixes, thinc's NumpyOps) keeps one thread per core, so a worker meant to use
one core ran BLAS calls on two and waited on the other worker's core.
"""


def set_compute_threads(n_threads: int) -> None:
    """Set torch's intra-op threads and the BLAS libraries' threads to
    `n_threads` for the rest of the process.

    n_threads (int): Threads, 1 or more.
    """
    import torch
    from threadpoolctl import threadpool_limits

    n_threads = max(1, int(n_threads))
    torch.set_num_threads(n_threads)
    # Not used as a context manager: the limit holds until the process ends.
    threadpool_limits(limits=n_threads, user_api="blas")
