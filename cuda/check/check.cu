// Compiled by the root CMakeLists' try_compile: the C++17 and CUDA features mpcore_cuda.cu uses
// (templates with if constexpr, warp shuffles, 64-bit atomics, the runtime API).
#include <cuda_runtime.h>

#include <type_traits>

template <typename F>
__global__ void check_kernel(F* out, unsigned long long* lock) {
  F v = static_cast<F>(threadIdx.x);
  if constexpr (std::is_same_v<F, double>) v = fma(v, 2.0, 1.0);
  v = __shfl_down_sync(0xffffffffu, v, 1);
  if (atomicCAS(lock, 0ull, 1ull) == 0ull) out[0] = v;
}

extern "C" int mpcore_cuda_check(void) {
  int n = 0;
  check_kernel<double><<<1, 32>>>(nullptr, nullptr);
  check_kernel<float><<<1, 32>>>(nullptr, nullptr);
  return cudaGetDeviceCount(&n) == cudaSuccess ? n : -1;
}
