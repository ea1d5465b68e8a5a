// Stand-in for the real header under the CPU emulation (see ../emu.hpp).
#pragma once
#include "../emu.hpp"
