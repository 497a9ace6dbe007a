"""isoFLOP grids from a known Chinchilla law (L = 1.69 + 406.4/N^0.34 + 410.7/D^0.28, C = 6ND,
7 budgets 1e18..1e21): the share of seeds whose true exponent a, N_opt(1e21) and per-budget N*
lie inside `slaw allocate --method isoflop`'s 90% intervals, and how often every estimate lies
inside its own interval. Four designs: the same 9 sizes 1e7..3e10 at every budget (fixedwide),
7 sizes over 8x or 4x either side of N_opt, 9 sizes over 4x.

usage: python3 bench/isoflop_reach.py path/to/slaw [seeds=40]   (writes iso/*.csv in the cwd)
"""
import random, math, json, subprocess, sys, os
BIN=sys.argv[1]; SEEDS=int(sys.argv[2]) if len(sys.argv)>2 else 40
E,A,al,B,be=1.69,406.4,0.34,410.7,0.28
a=be/(al+be); G=(al*A/(be*B))**(1/(al+be))
def nopt(C): return G*(C/6)**a
def L(N,D): return E+A/N**al+B/D**be
def geom(x,y,n): return [x*(y/x)**(i/(n-1)) for i in range(n)]
budgets=[1e18,3e18,1e19,3e19,1e20,3e20,1e21]
designs={
 'fixedwide_n1': (lambda C: geom(1e7,3e10,9), 0.01),
 'good8_n1': (lambda C: [nopt(C)*x for x in geom(1/8,8,7)], 0.01),
 'good4_n3': (lambda C: [nopt(C)*x for x in geom(1/4,4,7)], 0.03),
 'good4_n03': (lambda C: [nopt(C)*x for x in geom(1/4,4,9)], 0.003),
}
os.makedirs('iso',exist_ok=True)
for name,(fn,noise) in designs.items():
  cov_a=cov_n=cov_b=inside=tot=totb=0; widths=[]
  for s in range(SEEDS):
    r=random.Random(1000+s); path=f'iso/{name}_s{s}.csv'
    with open(path,'w') as f:
      f.write('budget,N,tokens,flops,loss\n')
      for C in budgets:
        for N in fn(C):
          D=C/(6*N); f.write(f'{C:g},{N:.6g},{D:.6g},{C:.6g},{L(N,D)*math.exp(r.gauss(0,noise)):.6f}\n')
    out=subprocess.run([BIN,'allocate',path,'--d-col','tokens','--flops-col','flops','--budget-col','budget','--method','isoflop','--budget','1e21','--bootstrap','200','--level','0.9','--json'],capture_output=True,text=True)
    d=json.loads(out.stdout)[0]['isoflop']
    if d is None or d['exponent_n_interval'] is None: continue
    tot+=1
    i=d['exponent_n_interval']; cov_a+= i['lo']<=a<=i['hi']
    row=d['rows'][0]; ni=row['n_interval']; cov_n+= ni['lo']<=nopt(1e21)<=ni['hi']
    inside+= (i['lo']<=d['exponent_n']<=i['hi']) and (ni['lo']<=row['n_opt']<=ni['hi'])
    widths.append(math.log(ni['hi']/ni['lo']))
    for b in d['budgets']:
      if b['n_interval']:
        totb+=1; cov_b+= b['n_interval']['lo']<=nopt(b['compute'])<=b['n_interval']['hi']
  widths.sort()
  print(f"{name}: {tot} fits, a covered {cov_a}/{tot}, N_opt(1e21) covered {cov_n}/{tot}, per-budget N* {cov_b}/{totb}, point inside both {inside}/{tot}, median ln-width N(1e21) {widths[len(widths)//2]:.3f}")
