#!/usr/bin/env bash
# One call on a machine with an NVIDIA GPU: build; the GPU tests, STUMPY's GPU test modules
# (conformance harness) and the four compute-sanitizer tools, side by side; then, with the GPU
# to itself, speed (pass vs call, n = 2**16..2**21, m = 100), the pass split into copies and
# kernel, other kernels (VARIANTS: a subset of the GPU tests, then the pass's speed), an
# Nsight Compute profile of one launch with its per-instruction stall samples, top-k speed and
# STUMPY's gpu_stump side by side.  Each stage has its own time limit; logs go to $OUT (or
# ./gpu-check-out), at most 8 files.
#
#   bash benchmarks/gpu_check.sh
#   SKIP_NCU=1 SKIP_STUMPY=1 VARIANTS= bash benchmarks/gpu_check.sh
#
# Offline machines: wheels in .whl/ are installed into a folder put on PYTHONPATH before the
# build (a numpy < 2.4 there serves numba-cuda, which STUMPY's gpu_stump needs), and a STUMPY
# sdist in .whl/ serves the conformance harness and the STUMPY timings.
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:-$PWD/gpu-check-out}
mkdir -p "$OUT"
LOG=$OUT/logs  # one folder of logs; the last step packs it into one file
mkdir -p "$LOG"
PY=${PYTHON:-python3}
SITE=/tmp/mpcore-site
T0=$(date +%s)
step() { echo; echo "=== $* (+$(( $(date +%s) - T0 )) s)"; }
# name:flags (commas for spaces); .whl/var-NAME.cu, if present, is built instead of the kernel
# (GPU_NOTES.md lists the shapes measured so far; the shapes of round 16, e.g.
# th128:-DMPCORE_TH=128 and nt64:-DMPCORE_NT=64,-DMPCORE_MINB=8, all lost there)
VARIANTS=${VARIANTS-"defer:-DMPCORE_DEFER=1"}
# each variant's quick correctness check before its timing: the GPU tests of the slow path's
# merges, ties and top-k, the p-norms' drift, hints and tile edges (the cheap ones: the whole
# file runs once, above, for the kernel built by default)
VTESTS="hard_inputs or integer_counts or topk_pass or later or hints or self_pass or tile_edge_sweep"

step "machine"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,memory.total --format=csv,noheader
nvcc --version | tail -1
if ls .whl/*.whl > /dev/null 2>&1; then
  $PY -m pip install -q --no-index --no-deps --no-compile --target /tmp/wheels-site .whl/*.whl \
    > "$LOG/wheels.log" 2>&1 && export PYTHONPATH=/tmp/wheels-site
fi
sdist=$(ls "$PWD"/.whl/stumpy-*.tar.gz 2>/dev/null | head -1)
$PY -c "import sys, numpy; print(sys.version.split()[0], 'numpy', numpy.__version__)"

step "build (sm_90)"
rm -rf "$SITE"
if ! MPCORE_CUDA_ARCH=${MPCORE_CUDA_ARCH:-90-real} $PY -m pip install -q --no-build-isolation \
    --no-index --no-deps --target "$SITE" . > "$LOG/build.log" 2>&1; then
  tail -30 "$LOG/build.log"; exit 1
fi
export PYTHONPATH=$SITE${PYTHONPATH:+:$PYTHONPATH}
$PY -c "import mpcore; assert mpcore.gpu_available(), mpcore._gpu.gpu_unavailable_reason(); print('mpcore', mpcore.__version__, 'GPU ok')" || exit 1
# the variants' libraries, built beside the checks (nvcc, sm_90 only)
vpids=()
for v in $VARIANTS; do
  name=${v%%:*}; flags=${v#*:}
  src=cuda/mpcore_cuda.cu
  [ -f ".whl/var-$name.cu" ] && src=.whl/var-$name.cu
  ( rm -rf "/tmp/var-$name" && cp -r "$SITE" "/tmp/var-$name" &&
    nvcc -O3 -std=c++17 -arch=sm_90 -shared -Xcompiler -fPIC -cudart static \
      --expt-relaxed-constexpr -Xptxas=-v ${flags//,/ } \
      -o "/tmp/var-$name/mpcore/_mpcore_cuda.so" "$src" ) > "$LOG/var-$name.build" 2>&1 &
  vpids+=($!)
done

step "correctness, side by side: GPU tests, STUMPY's GPU modules, four sanitizers"
pids=()
timeout 200 $PY -m pytest tests/test_gpu.py -q -p no:cacheprovider -rs > "$LOG/tests.log" 2>&1 &
pids+=($!)
if [ -n "$sdist" ]; then
  MPCORE_CONFORMANCE_SDIST=$sdist MPCORE_CONFORMANCE_CACHE=/tmp/conf timeout 200 \
    $PY conformance/run.py test_gpu_stump.py test_gpu_aamp.py test_gpu_stimp.py \
    test_gpu_aamp_stimp.py test_gpu_mpdist.py test_gpu_aampdist.py test_gpu_ostinato.py \
    test_gpu_aamp_ostinato.py > "$LOG/conformance.log" 2>&1 &
  pids+=($!)
fi
for tool in memcheck racecheck synccheck initcheck; do
  timeout 200 compute-sanitizer --tool $tool --error-exitcode 7 $PY benchmarks/gpu_sanitize.py \
    > "$LOG/sanitize-$tool.log" 2>&1 &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
tail -3 "$LOG/tests.log"
grep -E "^(FAILED|ERROR)" "$LOG/tests.log" | head -20
[ -n "$sdist" ] && tail -14 "$LOG/conformance.log"
for tool in memcheck racecheck synccheck initcheck; do
  echo "$tool: $(grep -h 'ERROR SUMMARY' "$LOG/sanitize-$tool.log" | tail -1)" \
       "$(grep -c 'sanitizer workload done' "$LOG/sanitize-$tool.log") workload(s) done"
  grep -m3 -E "Error|Hazard|Race" "$LOG/sanitize-$tool.log"
done

step "speed: pass vs call, m = 100"
timeout 200 $PY benchmarks/gpu_speed.py --sizes 16-21 --json "$OUT/speed.json" 2>&1 | tee "$LOG/speed.log" | tail -9
grep "^host steps" "$LOG/speed.log"
MPCORE_CUDA_TIMING=1 timeout 60 $PY benchmarks/gpu_speed.py --sizes 20-20 --reps 3 --pass-only --aamp 2>&1 | tail -2
step "the call with the pass in ranges of rows (ROW_RANGES), n = 2**20"
timeout 90 $PY benchmarks/gpu_speed.py --sizes 20-20 --reps 3 --ranges 1,2,4,8 2>&1 | grep "by ranges"
step "the pass split: copies and kernel (device events), n = 2**20"
MPCORE_CUDA_TIMING=1 timeout 60 $PY -c "
import numpy as np, mpcore
T = np.cumsum(np.random.default_rng(20).standard_normal(2**20))
for _ in range(3): mpcore.gpu_stump(T, 100)
" 2>&1 | tail -3

for p in "${vpids[@]}"; do wait "$p"; done
for v in $VARIANTS; do
  name=${v%%:*}
  step "variant $name (${v#*:}): pass at n = 2**20"
  grep -m3 -E "registers|error" "$LOG/var-$name.build" | grep -v "Compiling\|Function prop"
  PYTHONPATH=/tmp/var-$name/${PYTHONPATH#$SITE} timeout 90 $PY -m pytest tests/test_gpu.py -q -x \
    -p no:cacheprovider -k "$VTESTS" > "$LOG/var-$name.tests" 2>&1
  echo "tests (rc $?): $(tail -1 "$LOG/var-$name.tests")"
  grep -m5 -E "^(FAILED|ERROR)|^E " "$LOG/var-$name.tests"
  for kind in "" --aamp; do
    PYTHONPATH=/tmp/var-$name/${PYTHONPATH#$SITE} MPCORE_CUDA_TIMING=1 timeout 60 \
      $PY benchmarks/gpu_speed.py --sizes 20-20 --reps 3 --pass-only $kind 2>&1 | tail -2
  done
done

if [ -z "${SKIP_NCU:-}" ]; then
  step "Nsight Compute: one launch at n = 2**19, full set, stall samples per SASS line"
  timeout 150 ncu --clock-control none --kernel-name regex:pass_kernel --launch-count 1 \
    --set full --import-source no -f -o "$LOG/prof" \
    $PY -c "import numpy as np, mpcore; mpcore.gpu_stump(np.cumsum(np.random.default_rng(0).standard_normal(2**19)), 100)" \
    > "$LOG/ncu-run.log" 2>&1
  ncu -i "$LOG/prof.ncu-rep" --page details --print-details all > "$LOG/ncu.txt" 2>&1
  ncu -i "$LOG/prof.ncu-rep" --page source --csv --print-source sass > "$LOG/sass.csv" 2>&1
  grep -E "Registers Per|Achieved Occupancy|Issue Slots Busy|No Eligible|Executed Ipc A|Duration|Warp Cycles Per Issued|Avg. Active Threads|Stall" "$LOG/ncu.txt" | head -40
fi

step "top-k: k = 3, n = 2**18"
timeout 60 $PY benchmarks/gpu_speed.py --sizes 18-18 --k 3 --reps 3 2>&1 | tail -1

if [ -z "${SKIP_STUMPY:-}" ] && [ -n "$sdist" ]; then
  step "STUMPY gpu_stump, same GPU"
  timeout 90 $PY benchmarks/gpu_speed.py --sizes 16-16 --reps 3 --stumpy-max 16 \
    --stumpy-path "/tmp/conf/stumpy-1.14.1:/tmp/wheels-site" 2>&1 | tee "$LOG/stumpy.log" | tail -4
fi
step "done"
