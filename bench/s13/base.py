from proto import *
for ds,other in [('flan','wmt19'),('wmt19','flan')]:
    Y=DATA[ds]; Yo=DATA[other]
    prior=learn([(X,Yo[c,1:]) for c in range(30)])
    truth=np.exp(Y[:,-1])
    for r in RATIOS:
        a=afford(r); xs=X[a]
        w=adapt(prior,[(xs,Y[c,1:][a]) for c in range(30)])
        xt=np.log(FULL)
        pa=[];pt=[]
        for c in range(30):
            f=feats(xs,Y[c,1:][a]); pa.append(f['ats_s']*xt+f['ats_i']); pt.append(0.5*(pa[-1]+trend_ln(f,w,xt)))
        pa=np.exp(pa);pt=np.exp(pt)
        print(ds,r,'ats %.1f/%.1f'%(100*pearson(pa,truth),100*relacc(truth,np.argmin(pa))),'trend %.1f/%.1f'%(100*pearson(pt,truth),100*relacc(truth,np.argmin(pt))), prior.round(3))
