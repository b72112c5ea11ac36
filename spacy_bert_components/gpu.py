"""Whether spaCy can run on a CUDA device, and a one-line reason when not.

`spacy.require_gpu` alone fails late (inside a Ray worker) and with thinc's
terse "Cannot use GPU, CuPy is not installed"; `gpu_problem` says which
piece is missing and what to install. torch and cupy are imported inside the
functions: importing this module stays cheap.
"""

from typing import Optional

from .errors import GPUUnavailableError

CPU = -1


def _cuda_extra(cuda_version: Optional[str]) -> str:
    """The extra whose cupy wheel matches torch's CUDA (cupy-cuda11x or
    cupy-cuda12x); cuda12x when torch does not say."""
    major = (cuda_version or "12").split(".")[0]
    return "cuda11x" if major == "11" else "cuda12x"


def _first_line(err: BaseException) -> str:
    # cupy's import errors run over many lines (a banner, then advice).
    lines = [line.strip() for line in str(err).splitlines() if line.strip(" =")]
    return f"{type(err).__name__}: {lines[0] if lines else ''}".rstrip(": ")


def gpu_problem(gpu_id: int = 0) -> Optional[str]:
    """What keeps spaCy off CUDA device `gpu_id`, or None when nothing does.

    gpu_id (int): The device index as this process sees it (under Ray, the
        worker's CUDA_VISIBLE_DEVICES numbers its GPUs from 0); -1 is the CPU.
    RETURNS (Optional[str]): One line naming what is missing and what to
        install or change; None when spaCy can run on the device.
    """
    if gpu_id == CPU:
        return None
    if gpu_id < 0:
        return f"GPU id {gpu_id} is not a device: use 0, 1, ... or -1 for the CPU"
    import torch

    if not torch.cuda.is_available():
        if torch.version.cuda is None:
            return (
                f"torch {torch.__version__} is built without CUDA: install a CUDA build of torch "
                "(https://pytorch.org/get-started/locally/), or run on the CPU (no --gpus-per-worker, --gpu-id -1)"
            )
        return (
            f"torch {torch.__version__} (CUDA {torch.version.cuda}) finds no CUDA device: "
            "check the NVIDIA driver (nvidia-smi) and CUDA_VISIBLE_DEVICES, or run on the CPU"
        )
    count = torch.cuda.device_count()
    if gpu_id >= count:
        return (
            f"no CUDA device {gpu_id}: torch sees {count} (0..{count - 1}); "
            "choose another GPU id or check CUDA_VISIBLE_DEVICES"
        )
    extra = _cuda_extra(torch.version.cuda)
    install = f'pip install "spacy-bert-components[{extra}]" (or "spacy[{extra}]")'
    try:
        import cupy
    except ImportError as err:
        return f"spaCy on the GPU needs cupy, which cannot be imported ({_first_line(err)}): {install}"
    try:
        cupy.cuda.runtime.getDeviceCount()
    except Exception as err:  # noqa: BLE001 - cupy's CUDARuntimeError, or a missing libcudart
        return (
            f"cupy {cupy.__version__} cannot reach the GPU ({_first_line(err)}); "
            f"install the cupy for torch's CUDA {torch.version.cuda}: {install}"
        )
    return None


def require_gpu(gpu_id: int = 0) -> str:
    """Run spaCy (thinc's ops, and through thinc torch's current device) on
    CUDA device `gpu_id`, or fail with a one-line reason.

    gpu_id (int): The device index; -1 keeps everything on the CPU.
    RETURNS (str): The torch device: "cuda:<gpu_id>", or "cpu" for -1.
    """
    if gpu_id == CPU:
        return "cpu"
    problem = gpu_problem(gpu_id)
    if problem is not None:
        raise GPUUnavailableError(problem)
    import spacy

    try:
        spacy.require_gpu(gpu_id)
    except ValueError as err:
        # thinc decides from what it found when it was first imported, which
        # can differ from what gpu_problem sees now.
        raise GPUUnavailableError(f"spaCy cannot use CUDA device {gpu_id}: {_first_line(err)}") from None
    return f"cuda:{gpu_id}"
