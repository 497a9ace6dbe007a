import collections, itertools, sys
rows=[l.rstrip('\n').split('\t') for l in open('/tmp/temp2_xt.tsv')]
P=collections.defaultdict(dict); O={}
for v,f,r,p,o in rows:
    P[v][(float(f),r)]=float(p); O[r]=float(o)
runs=sorted(O); fr=[0.1,0.2,0.3]
def ape(v,f,r): return 100*abs(P[v][(f,r)]/O[r]-1)
def mape(v,rs,f): return sum(ape(v,f,r) for r in rs)/len(rs)
base=[r for r in runs if r not in ('small_constant_seed2','medium_cosine_seed2')]
for v in P:
    print(f"{v:10s} 10runs " + ' / '.join(f"{mape(v,base,f):.2f}" for f in fr) + f"   all{len(runs)} " + ' / '.join(f"{mape(v,runs,f):.2f}" for f in fr))
cands=[c for c in sys.argv[1].split(',')] if len(sys.argv)>1 else ['R0','R1','R2','R3']
size=lambda r:r.split('_')[0]
for name,groups in (('LORO',[[r] for r in runs]),('LOSO',[[r for r in runs if size(r)==s] for s in sorted(set(map(size,runs)))])):
    pick={}
    for g in groups:
        rest=[r for r in runs if r not in g]
        best=min(cands,key=lambda c: sum(mape(c,rest,f) for f in fr))
        for r in g: pick[r]=best
    for rs,lab in ((base,'10runs'),(runs,f'all{len(runs)}')):
        print(name,lab,' / '.join(f"{sum(ape(pick[r],f,r) for r in rs)/len(rs):.2f}" for f in fr), collections.Counter(pick[r] for r in rs))
print('ensembles (geometric mean of forecasts)')
import math
def ens(a,b,name):
    for k in P[a]:
        P[name][k]=math.sqrt(P[a][k]*P[b][k])
ens('R0','R3','E03'); ens('R2','R3','E23'); ens('R3','recip','E3r'); ens('R0','R1','E01')
for v in ['E03','E23','E3r','E01']:
    print(f"{v:10s} 10runs " + ' / '.join(f"{mape(v,base,f):.2f}" for f in fr) + f"   all{len(runs)} " + ' / '.join(f"{mape(v,runs,f):.2f}" for f in fr))
