# The form of the zero-shot-gap feature and the windows, chosen on each dataset ALONE (in sample:
# weights, trend prior and evaluation on the same dataset), so that each LODO fold's choice is made
# without the evaluated dataset; criterion: mean PearCorr over the 7 budgets, RelAcc (risk-averse
# choice) >= AtS's at every budget.
from robust2 import *
for ds in ['flan','wmt19']:
    Y=DATA[ds]; truth=np.exp(Y[:,-1])
    prior=learn([(X,Y[c,1:]) for c in range(30)])
    W4={v:learn4(Y,*v) for v in V}
    out={v:[] for v in V}; ar=[]
    for r in RATIOS:
        a=afford(r); xs=X[a]; rr=xt-xs[-1]
        w=adapt(prior,[(xs,Y[c,1:][a]) for c in range(30)]); sp=spread_of(Y,a,w)
        base=[at_pred(xs,Y[c,1:][a],w,xt) for c in range(30)]
        ar.append(100*relacc(truth,int(np.argmin([b[1] for b in base]))))
        for v in V:
            pred=[];up=[]
            for c in range(30):
                p,l,tr,st,f=base[c]; extra=f['y_last']+row4(f,rr,Y[c,0],v[1])@W4[v]
                p=0.5*(p+extra); h=max(abs(q-p) for q in [l,tr,st,extra]); pred.append(p); up.append(p+Q*np.hypot(sp*rr,h))
            out[v].append((100*pearson(np.exp(pred),truth),100*relacc(truth,int(np.argmin(up)))))
    for v in V:
        ok=all(x[1]>=y-1e-9 for x,y in zip(out[v],ar))
        print('in sample',ds,v,'mean %.1f'%np.mean([x[0] for x in out[v]]),'RelAcc ok' if ok else 'RelAcc<AtS', W4[v].round(4))
