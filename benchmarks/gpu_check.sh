#!/usr/bin/env bash
# One call on a machine with an NVIDIA GPU: build, GPU tests, the four compute-sanitizer
# tools, speed (pass vs call, n = 2**16..2**21, m = 100), STUMPY's gpu_stump side by side and
# an Nsight Compute profile of one kernel launch.  Logs go to $OUT (or ./gpu-check-out).
#
#   bash benchmarks/gpu_check.sh            # everything
#   SKIP_NCU=1 SKIP_STUMPY=1 bash benchmarks/gpu_check.sh
#
# Offline machines: put wheels for STUMPY (and a numpy < 2.4 that numba-cuda accepts) in .whl/;
# they are installed into a separate folder used only by the STUMPY subprocess.
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:-$PWD/gpu-check-out}
mkdir -p "$OUT"
PY=${PYTHON:-python3}
SITE=/tmp/mpcore-site
step() { echo; echo "=== $* ($(date +%T))"; }

step "machine"
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,memory.total --format=csv,noheader
nvcc --version | tail -1
$PY -c "import sys, numpy; print(sys.version.split()[0], 'numpy', numpy.__version__)"

step "build (sm_90)"
rm -rf "$SITE"
if ! MPCORE_CUDA_ARCH=${MPCORE_CUDA_ARCH:-90-real} $PY -m pip install -q --no-build-isolation \
    --no-index --no-deps --target "$SITE" . > "$OUT/build.log" 2>&1; then
  tail -30 "$OUT/build.log"; exit 1
fi
export PYTHONPATH=$SITE
$PY -c "import mpcore; mpcore.show_config(); assert mpcore.gpu_available()"

step "GPU tests"
$PY -m pytest tests/test_gpu.py -q -p no:cacheprovider -x 2>&1 | tee "$OUT/tests.log" | tail -15

step "speed: pass vs call, m = 100"
$PY benchmarks/gpu_speed.py --sizes 16-21 --json "$OUT/speed.json" 2>&1 | tee "$OUT/speed.log" | tail -12
$PY benchmarks/gpu_speed.py --sizes 18-18 --k 3 --reps 3 2>&1 | tail -1

step "compute-sanitizer"
for tool in memcheck racecheck synccheck initcheck; do
  if timeout 150 compute-sanitizer --tool $tool --error-exitcode 7 $PY benchmarks/gpu_sanitize.py \
      > "$OUT/sanitize-$tool.log" 2>&1; then
    echo "$tool: $(grep -h 'ERROR SUMMARY' "$OUT/sanitize-$tool.log" | tail -1)"
  else
    echo "$tool: FAILED (exit $?)"; grep -m5 -E "Error|Hazard|Race" "$OUT/sanitize-$tool.log"
  fi
done

if [ -z "${SKIP_NCU:-}" ]; then
  step "Nsight Compute, the kernel at n = 2**20"
  timeout 300 ncu --clock-control none --kernel-name regex:pass_kernel --launch-count 1 \
    --section SpeedOfLight --section Occupancy --section LaunchStats --section WarpStateStats \
    --section SchedulerStats --section ComputeWorkloadAnalysis --section InstructionStats \
    $PY -c "import numpy as np, mpcore; mpcore.gpu_stump(np.cumsum(np.random.default_rng(0).standard_normal(2**20)), 100)" \
    > "$OUT/ncu.txt" 2>&1
  grep -E "Registers Per|Achieved Occupancy|Issue Slots Busy|No Eligible|Executed Ipc A|Duration|Compute \(SM\)|Warp Cycles Per Issued|Avg. Active Threads|Executed Instructions  |SM Frequency" "$OUT/ncu.txt" | head -30
fi

if [ -z "${SKIP_STUMPY:-}" ] && ls .whl/stumpy-*.whl > /dev/null 2>&1; then
  step "STUMPY gpu_stump, same GPU"
  $PY -m pip install -q --no-index --no-deps --target /tmp/stumpy-site .whl/*.whl > /dev/null 2>&1
  $PY benchmarks/gpu_speed.py --sizes 16-17 --reps 3 --stumpy-max 17 \
    --stumpy-path /tmp/stumpy-site 2>&1 | tee "$OUT/stumpy.log" | tail -6
fi
if [ -n "${VARIANTS:-}" ]; then
  # the same kernel with other shapes, VARIANTS="DPT:MINB ..." (diagonals per thread, blocks
  # per SM the register budget is sized for); speed at n = 2**20 only
  for v in $VARIANTS; do
    step "variant MPCORE_DPT=${v%%:*} MPCORE_MINB=${v##*:}"
    rm -rf /tmp/mpcore-v && cp -r "$SITE" /tmp/mpcore-v
    nvcc -O3 -std=c++17 -arch=sm_90 -shared -Xcompiler -fPIC -cudart static \
      -DMPCORE_DPT=${v%%:*} -DMPCORE_MINB=${v##*:} \
      -Xptxas=-v -o /tmp/mpcore-v/mpcore/_mpcore_cuda.so cuda/mpcore_cuda.cu 2>&1 | grep -m3 registers
    PYTHONPATH=/tmp/mpcore-v $PY benchmarks/gpu_speed.py --sizes 20-20 --reps 3 2>&1 | tail -1
  done
fi
step "done"
