from proto import *
xt=np.log(FULL)
def fe(x,y,y0,kind):
    f=feats(x,y); r=xt-f['x_last']; s=f['local']; a=f['ats_s']
    if kind=='trend': return np.array([r*s,r*a,r*r*s]),f
    if kind=='trend+c':
        c=np.polyfit(x,y,2)[0]
        return np.array([r*s,r*a,r*r*s,r*r*c]),f
    if kind=='trend+z':
        return np.array([r*s,r*a,r*r*s,(y0-f['y_last'])]),f
    if kind=='s':
        return np.array([r*s,r*r*s]),f
def fitW(Yo,m,kind,lam):
    A=[];b=[]
    for j in range(Yo.shape[0]):
        yj=Yo[j,1:]; rw,f=fe(X[:m],yj[:m],Yo[j,0],kind); A.append(rw); b.append(yj[-1]-f['y_last'])
    A=np.array(A);b=np.array(b)
    return np.linalg.solve(A.T@A+lam*np.eye(A.shape[1]),A.T@b)
def run(kind,lam,mix,show=False):
  out=[]
  for ds,other in [('flan','wmt19'),('wmt19','flan')]:
    Y=DATA[ds]; Yo=DATA[other]; truth=np.exp(Y[:,-1])
    prior=learn([(X,Yo[c,1:]) for c in range(30)])
    for r in RATIOS:
        a=afford(r); m=a.sum(); xs=X[a]
        w=fitW(Yo,m,kind,lam)
        wt=adapt(prior,[(xs,Y[c,1:][a]) for c in range(30)])
        p=[]
        for c in range(30):
            rw,f=fe(xs,Y[c,1:][:m],Y[c,0],kind)
            pb=f['y_last']+rw@w
            pa=f['ats_s']*xt+f['ats_i']; ptr=0.5*(pa+trend_ln(f,wt,xt))
            p.append({'ats':0.5*(pa+pb),'trend':0.5*(ptr+pb),'alone':pb}[mix])
        p=np.exp(p); out.append((100*pearson(p,truth),100*relacc(truth,np.argmin(p))))
  print(kind,lam,mix,'mean %.1f F %.1f W %.1f'%(np.mean([v[0] for v in out]),np.mean([v[0] for v in out[:7]]),np.mean([v[0] for v in out[7:]])),'\n  P',' '.join('%5.1f'%v[0] for v in out),'\n  R',' '.join('%5.1f'%v[1] for v in out))
for kind in ['trend','trend+c','trend+z','s']:
  for lam in [1e-6,1e-3,1e-2]:
    for mix in ['alone','ats','trend']:
      run(kind,lam,mix)
