"""Which registry crates of a first build a second build compiles again, from two unit graphs.

Usage: python3 compiled_again.py FIRST.json SECOND.json [CRATE@VERSION]
Each file is cargo's `--unit-graph` output (RUSTC_BOOTSTRAP=1 cargo ... --unit-graph -Z
unstable-options). A unit's identity is its package, target, features, profile, mode and
platform with the identities of its dependencies, as in xtask/tests/shared_build.rs. With a
third argument, prints that crate's units on both sides.
"""
import json,sys
from functools import lru_cache
def load(p):
    d=json.load(open(p))['units']
    memo={}
    def ident(i):
        if i in memo: return memo[i]
        u=d[i]
        key=(u['pkg_id'], u['target']['name'], tuple(u['target']['kind']), tuple(sorted(u['features'])), json.dumps(u['profile'],sort_keys=True), u['mode'], u.get('platform'))
        deps=tuple(sorted(ident(x['index']) for x in u['dependencies']))
        memo[i]=(key,deps)
        return memo[i]
    out={}
    for i,u in enumerate(d):
        out[ident(i)]=u
    return out
a=load(sys.argv[1]); b=load(sys.argv[2])
reg=lambda u: u['pkg_id'].startswith('registry+')
name=lambda u: u['pkg_id'].split('#')[1]
pa={name(u) for u in a.values() if reg(u)}
pb={name(u) for u in b.values() if reg(u)}
again=sorted({name(u) for k,u in b.items() if reg(u) and k not in a and name(u) in pa})
print(f"first: {len(pa)} registry crates; second: {len(pb)}; compiled again by the second: {len(again)}; new in the second: {len(pb-pa)}")
print(again)
if len(sys.argv)>3:
    for k,u in b.items():
        if name(u)==sys.argv[3]: print('second', k[0][3:], u['mode'], u.get('platform'))
    for k,u in a.items():
        if name(u)==sys.argv[3]: print('first', k[0][3:], u['mode'], u.get('platform'))
