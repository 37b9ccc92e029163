#!/usr/bin/env bash
# Installs CUDA's compiler and static runtime in a manylinux_2_28 (AlmaLinux 8) container, for
# the Linux x86_64 wheels (pyproject.toml [tool.cibuildwheel] overrides).  CUDA 12.9: its static
# runtime runs on any driver >= 525 (CUDA minor-version compatibility) and it still builds sm_70.
set -euo pipefail
CUDA_VERSION=${MPCORE_WHEEL_CUDA:-12-9}
dnf install -y -q dnf-plugins-core
dnf config-manager --add-repo \
  https://developer.download.nvidia.com/compute/cuda/repos/rhel8/x86_64/cuda-rhel8.repo
dnf install -y -q "cuda-nvcc-${CUDA_VERSION}" "cuda-cudart-devel-${CUDA_VERSION}"
ln -sfn "/usr/local/cuda-${CUDA_VERSION/-/.}" /usr/local/cuda
/usr/local/cuda/bin/nvcc --version | tail -1
