# General (shippable: a few weights, any ladder / target) forms of the horizon regression, with the
# risk-averse choice: the trend's 3 features plus the zero-shot gap, learned on the other dataset's
# complete curves, windows = every prefix from the first size -> (a) every later size, (b) the
# curve's last size only; used as a 4th hypothesis averaged with ats-trend. LODO.
from robust import *
def row4(f,r,y0,zform):
    z=y0-f['y_last']
    return np.array([r*f['local'],r*f['ats_s'],r*r*f['local'],{'z':z,'rz':r*z,'r2z':r*r*z}[zform]])
def learn4(Yo,mode,zform):
    A=np.zeros((4,4));b=np.zeros(4)
    for c in range(Yo.shape[0]):
        y=Yo[c,1:]
        for end in range(4,len(X)):
            f=feats(X[:end],y[:end]); js=range(end,len(X)) if mode=='all' else [len(X)-1]
            for j in js:
                rw=row4(f,X[j]-f['x_last'],Yo[c,0],zform); A+=np.outer(rw,rw); b+=rw*(y[j]-f['y_last'])
    return np.linalg.solve(A+1e-9*np.eye(4),b)
V=[(m,z) for m in ['all','last'] for z in ['z','rz','r2z']]
res={v:[] for v in V}
for ds,other in [('flan','wmt19'),('wmt19','flan')]:
    Y=DATA[ds]; Yo=DATA[other]; truth=np.exp(Y[:,-1])
    prior=learn([(X,Yo[c,1:]) for c in range(30)])
    W4={v:learn4(Yo,*v) for v in V}
    for r in RATIOS:
        a=afford(r); m=a.sum(); xs=X[a]; rr=xt-xs[-1]
        w=adapt(prior,[(xs,Y[c,1:][a]) for c in range(30)]); sp=spread_of(Y,a,w)
        base=[at_pred(xs,Y[c,1:][a],w,xt) for c in range(30)]
        for v in V:
            pred=[];up=[]
            for c in range(30):
                p,l,tr,st,f=base[c]; extra=f['y_last']+row4(f,rr,Y[c,0],v[1])@W4[v]
                p=0.5*(p+extra); h=max(abs(q-p) for q in [l,tr,st,extra])
                pred.append(p); up.append(p+Q*np.hypot(sp*rr,h))
            pred=np.exp(pred)
            res[v].append((100*pearson(pred,truth),100*relacc(truth,int(np.argmin(up)))))
print('AtS RelAcc   ',' '.join('%5.1f'%v for v in ats_r) if False else '')
for v in V:
    P=[x[0] for x in res[v]]
    print('%-12s P'%str(v),' '.join('%5.1f'%x for x in P),' mean F %.1f W %.1f all %.1f'%(np.mean(P[:7]),np.mean(P[7:]),np.mean(P)))
    print('%-12s R'%str(v),' '.join('%5.1f'%x[1] for x in res[v]))
