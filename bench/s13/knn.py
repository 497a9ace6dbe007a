from proto import *
import itertools
xt=np.log(FULL)
def base_preds(Y,prior,r):
    a=afford(r); xs=X[a]
    w=adapt(prior,[(xs,Y[c,1:][a]) for c in range(30)])
    pa=[];pt=[]
    for c in range(30):
        f=feats(xs,Y[c,1:][a]); pa.append(f['ats_s']*xt+f['ats_i']); pt.append(0.5*(pa[-1]+trend_ln(f,w,xt)))
    return np.array(pa),np.array(pt)
def knn_pred(Y,Yo,r,K=5,mode='level',p=1.0,use0=False,scale=False):
    a=afford(r); m=a.sum()
    out=[]
    for c in range(30):
        yc=Y[c,1:][:m]
        vc=yc-yc[-1]
        if use0: vc=np.concatenate([[Y[c,0]-yc[-1]],vc])
        ds=[];dl=[]
        for j in range(Yo.shape[0]):
            yj=Yo[j,1:]
            vj=yj[:m]-yj[m-1]
            if use0: vj=np.concatenate([[Yo[j,0]-yj[m-1]],vj])
            sc=1.0
            if scale:
                sj=line(X[m-3:m],yj[m-3:m])[0]; scc=line(X[m-3:m],yc[m-3:])[0]
                sc=scc/sj if sj<-1e-4 else 1.0
                sc=np.clip(sc,0.2,5)
                vj=vj*sc
            ds.append(np.sqrt(np.mean((vc-vj)**2))); dl.append(sc*(yj[-1]-yj[m-1]))
        ds=np.array(ds);dl=np.array(dl); o=np.argsort(ds)[:K]
        wt=1.0/(ds[o]+1e-3)**p; out.append(yc[-1]+np.sum(wt*dl[o])/wt.sum())
    return np.array(out)
res={}
configs=[]
for K in [3,5,10,30]:
  for use0 in [False,True]:
    for scale in [False,True]:
      configs.append(dict(K=K,use0=use0,scale=scale))
for cfg in configs:
  for mix in [0.0,0.5]:
    line_=[]
    for ds,other in [('flan','wmt19'),('wmt19','flan')]:
        Y=DATA[ds]; Yo=DATA[other]; truth=np.exp(Y[:,-1])
        prior=learn([(X,Yo[c,1:]) for c in range(30)])
        for r in RATIOS:
            pa,pt=base_preds(Y,prior,r)
            pk=knn_pred(Y,Yo,r,**cfg)
            pm=np.exp(mix*pt+(1-mix)*pk) if mix>0 else np.exp(pk)
            line_.append((100*pearson(pm,truth),100*relacc(truth,np.argmin(pm))))
    pc=' '.join('%5.1f'%v[0] for v in line_); ra=' '.join('%5.1f'%v[1] for v in line_)
    print(cfg,mix,'mean %.1f'%np.mean([v[0] for v in line_]),'\n  P',pc,'\n  R',ra)
