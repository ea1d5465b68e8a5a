#!/usr/bin/env python3
"""Rewrites a .cu/.cuh file for the CPU emulation (emu.hpp): kernel launches and dynamic shared memory."""
import re
import sys

src = open(sys.argv[1]).read()
# name<tmpl><<<cfg>>>(args);  ->  ::emu::Config(cfg).run([&]() { name<tmpl>(args); });
launch = re.compile(r'(\b[A-Za-z_][\w:]*(?:<[^;(){}]*?>)?)\s*<<<(.*?)>>>\s*\((.*?)\);', re.S)
src, n = launch.subn(lambda m: '::emu::Config(%s).run([&]() { %s(%s); });' % (m.group(2), m.group(1), m.group(3)), src)
# extern __shared__ T name[];  ->  T* name = (T*)::emu::dynamic_smem();
src = re.sub(r'extern\s+__shared__\s+(\w+)\s+(\w+)\s*\[\s*\]\s*;', r'\1* \2 = (\1*)::emu::dynamic_smem();', src)
sys.stdout.write('#line 1 "%s"\n' % sys.argv[1] + src)
sys.stderr.write('%s: %d launches\n' % (sys.argv[1], n))
