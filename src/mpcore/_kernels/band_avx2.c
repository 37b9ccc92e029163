/* The band kernel built for the avx2 instruction set (flags set in CMakeLists.txt). */
#define MP_ISA 1
#define MP_SUFFIX avx2
#include "band_impl.h"
