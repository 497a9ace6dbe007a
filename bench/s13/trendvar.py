from proto import *
xt=np.log(FULL)
def rowv(f,r,y0,nw):
    base=[r*f['local'],r*f['ats_s'],r*r*f['local']]
    if nw==4: base.append(r*(y0-f['y_last']))
    return np.array(base)
def normalv(curves,nw,mode,pw):
    A=np.zeros((nw,nw));b=np.zeros(nw)
    for x,y,y0 in curves:
        for end in range(4,len(x)):
            f=feats(x[:end],y[:end])
            js=range(end,len(x)) if mode=='all' else [len(x)-1]
            for j in js:
                r=x[j]-f['x_last']; rw=rowv(f,r,y0,nw); wt=r**pw
                A+=wt*np.outer(rw,rw); b+=wt*rw*(y[j]-f['y_last'])
    return A,b
def run(nw,mode,pw,lam,blend=0.5):
  out=[]
  for ds,other in [('flan','wmt19'),('wmt19','flan')]:
    Y=DATA[ds]; Yo=DATA[other]; truth=np.exp(Y[:,-1])
    A,b=normalv([(X,Yo[c,1:],Yo[c,0]) for c in range(30)],nw,mode,pw); prior=np.linalg.solve(A+1e-9*np.eye(nw),b)
    for r in RATIOS:
        a=afford(r); xs=X[a]
        if lam is None: w=prior
        else:
            A,b=normalv([(xs,Y[c,1:][a],Y[c,0]) for c in range(30)],nw,mode,pw); w=np.linalg.solve(A+lam*np.eye(nw),b+lam*prior)
        p=[]
        for c in range(30):
            f=feats(xs,Y[c,1:][a]); pa=f['ats_s']*xt+f['ats_i']
            pt=f['y_last']+rowv(f,xt-f['x_last'],Y[c,0],nw)@w
            p.append((1-blend)*pa+blend*pt)
        p=np.exp(p); out.append((100*pearson(p,truth),100*relacc(truth,np.argmin(p))))
  print(nw,mode,pw,lam,blend,'mean %.1f F %.1f W %.1f'%(np.mean([v[0] for v in out]),np.mean([v[0] for v in out[:7]]),np.mean([v[0] for v in out[7:]])),'\n  P',' '.join('%5.1f'%v[0] for v in out),'\n  R',' '.join('%5.1f'%v[1] for v in out))
run(3,'all',0,100.0)
for nw in [3,4]:
  for mode,pw in [('all',0),('all',1),('all',2),('last',0)]:
    for lam in [100.0,None]:
      run(nw,mode,pw,lam)
