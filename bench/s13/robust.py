# The risk-averse choice of ats-trend replicated (lowest upper end of q*hypot(spread*r, h) around
# the prediction; spread from the method's backtests inside the pool's affordable sizes), then applied to
# variants whose prediction adds a hypothesis: the per-budget horizon regression (hz, with or
# without the zero-shot gap), the kNN of other-dataset curves. LODO throughout.
from proto import *
from nested import knn_one, hz_row, hz_w
xt=np.log(FULL); Q=1.6448536269514722
def steep(f,xs,x):
    x0=xs[0]-np.log(2); span=f['x_last']-x0
    return f['local_level']+f['local']*((x-x0)**2-(f['x_last']-x0)**2)/(2*span)
def at_pred(x,y,w,xtt):
    f=feats(x,y); pa=f['ats_s']*xtt+f['ats_i']; tr=trend_ln(f,w,xtt); return 0.5*(pa+tr),pa,tr,steep(f,x,xtt),f
def spread_of(Y,a,w):
    xs=X[a]; z=[]
    for c in range(30):
        y=Y[c,1:][a]
        for end in range(4,len(xs)):
            for j in range(end,len(xs)):
                p=at_pred(xs[:end],y[:end],w,xs[j])[0]; z.append((y[j]-p)/(xs[j]-xs[end-1]))
    z=np.array(z); return z.std(ddof=1) if len(z)>=5 else None
VARIANTS=['ats-trend','hz-t','hz-z','knn5','knn30s0']
res={v:[] for v in VARIANTS}; ats_r=[]
for ds,other in [('flan','wmt19'),('wmt19','flan')]:
    Y=DATA[ds]; Yo=DATA[other]; truth=np.exp(Y[:,-1])
    prior=learn([(X,Yo[c,1:]) for c in range(30)])
    for r in RATIOS:
        a=afford(r); m=a.sum(); xs=X[a]; rr=xt-xs[-1]
        w=adapt(prior,[(xs,Y[c,1:][a]) for c in range(30)])
        sp=spread_of(Y,a,w)
        Wt=hz_w(Yo,m,'t'); Wz=hz_w(Yo,m,'z')
        base=[at_pred(xs,Y[c,1:][a],w,xt) for c in range(30)]
        pa=np.array([b[1] for b in base]); ats_r.append(100*relacc(truth,np.argmin(pa)))
        for v in VARIANTS:
            pred=[];up=[]
            for c in range(30):
                p,l,tr,st,f=base[c]; hyps=[l,tr,st]
                if v!='ats-trend':
                    if v.startswith('hz'):
                        rw,_=hz_row(xs,Y[c,1:][a],Y[c,0],v[3]); extra=f['y_last']+rw@(Wt if v=='hz-t' else Wz)
                    elif v=='knn5': extra=knn_one(Y[c,1:],Y[c,0],Yo,m,5,False,True)
                    else: extra=knn_one(Y[c,1:],Y[c,0],Yo,m,30,True,True)
                    p=0.5*(p+extra); hyps.append(extra)
                h=max(abs(q-p) for q in hyps)
                pred.append(p); up.append(p+Q*np.hypot(sp*rr,h))
            pred=np.exp(pred); ch=int(np.argmin(up))
            res[v].append((100*pearson(pred,truth),100*relacc(truth,ch),100*relacc(truth,np.argmin(pred))))
print('AtS RelAcc   ',' '.join('%5.1f'%v for v in ats_r))
for v in VARIANTS:
    P=[x[0] for x in res[v]]
    print('%-10s P'%v,' '.join('%5.1f'%x for x in P),' mean F %.1f W %.1f all %.1f'%(np.mean(P[:7]),np.mean(P[7:]),np.mean(P)))
    print('%-10s R'%v,' '.join('%5.1f'%x[1] for x in res[v]),' (robust)', 'OK' if all(x[1]>=y-1e-9 for x,y in zip(res[v],ats_r)) else 'BELOW AtS')
    print('%-10s Rp'%v,' '.join('%5.1f'%x[2] for x in res[v]),' (lowest prediction)')
