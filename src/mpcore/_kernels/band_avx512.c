/* The band kernel built for the avx512 instruction set (flags set in CMakeLists.txt). */
#define MP_ISA 2
#define MP_SUFFIX avx512
#include "band_impl.h"
