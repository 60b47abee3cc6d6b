#!/usr/bin/env python3
"""Lists the functions of a thumbv7em firmware (an ELF) that call into a
panic: core::panicking, slice index and length-mismatch failures, unwrap
and expect. Used by size.sh when the no-panic link check fails:

    python3 panics.py target/thumbv7em-none-eabihf/release/microps
"""
import subprocess, sys, re
f=sys.argv[1]
syms=[]
for l in subprocess.run(["llvm-objdump","-t","--demangle",f],capture_output=True,text=True).stdout.splitlines():
    if " F .text" not in l: continue
    p=l.split()
    syms.append((int(p[0],16), int(p[4],16), ' '.join(p[5:])))
syms.sort()
panicky=[s for s in syms if re.search(r"core::panicking|slice_index_fail|len_mismatch_fail|slice_(start|end)_index|panic_bounds_check|unwrap_failed|expect_failed|option::expect|rust_begin_unwind|panic_fmt|str_index", s[2])]
targets={s[0]:s[2] for s in panicky}
dis=subprocess.run(["llvm-objdump","-d","--no-show-raw-insn",f],capture_output=True,text=True).stdout
out={}
for l in dis.splitlines():
    m=re.match(r"\s*([0-9a-f]+):\s+b(?:l|\.w)?\s+0x([0-9a-f]+)",l)
    if not m: continue
    a,t=int(m.group(1),16),int(m.group(2),16)
    if t in targets:
        enc=[s for s in syms if s[0]<=a<s[0]+max(s[1],1)]
        name=enc[-1][2] if enc else '?'
        if enc and enc[-1][0] in targets: continue
        out.setdefault(name,[]).append(targets[t])
for k,v in sorted(out.items()):
    print(re.sub(r"::h[0-9a-f]{16}$","",k)[:140], '->', ', '.join(sorted(set(re.sub(r"::h[0-9a-f]{16}$","",x).split('::')[-1] for x in v))))
