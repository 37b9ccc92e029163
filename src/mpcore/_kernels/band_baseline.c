/* The band kernel built for the baseline instruction set (flags set in CMakeLists.txt). */
#define MP_ISA 0
#define MP_SUFFIX baseline
#include "band_impl.h"
