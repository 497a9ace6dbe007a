import numpy as np, csv, sys
D='../shared/data/finetune-selection/'
def load(name):
    rows=list(csv.reader(open(D+name+'.csv')))
    hdr=rows[0]; sizes=np.array([float(h) for h in hdr[1:16]])
    L=np.array([[float(v) for v in r[1:16]] for r in rows[1:]])
    P=np.array([float(r[16]) for r in rows[1:]])
    return sizes,L,P
RATIOS=[8,16,32,64,128,256,512]
FULL=1638400.0
sizes,Lf,Pf=load('flan'); _,Lw,Pw=load('wmt19')
X=np.log(sizes[1:]) # positive sizes (13 values: 200..1638400)
DATA={'flan':np.log(Lf),'wmt19':np.log(Lw)}  # ln L, col0 = zero-shot
def line(x,y):
    A=np.vstack([x,np.ones_like(x)]).T; s,i=np.linalg.lstsq(A,y,rcond=None)[0]; return s,i
def ats(x,y,k=3,delta=5.0):
    n=len(x); m=k
    while m<n:
        lo=n-m; s,i=line(x[lo:],y[lo:]); r=y[lo:]-(i+s*x[lo:]); sd=np.sqrt(np.mean((r-r.mean())**2))
        if abs(y[lo-1]-(i+s*x[lo-1]))>delta*sd: break
        if m==n-1: break
        m+=1
    lo=n-m; return line(x[lo:],y[lo:])
def feats(x,y):
    s,i=ats(x,y); ls,li=line(x[-3:],y[-3:])
    return dict(y_last=y[-1],x_last=x[-1],local=ls,local_level=li+ls*x[-1],ats_s=s,ats_i=i)
def row(f,r): return np.array([r*f['local'],r*f['ats_s'],r*r*f['local']])
def normal(curves):
    A=np.zeros((3,3));b=np.zeros(3);c=0
    for x,y in curves:
        for end in range(4,len(x)):
            f=feats(x[:end],y[:end])
            for j in range(end,len(x)):
                r=x[j]-f['x_last']; rw=row(f,r); A+=np.outer(rw,rw); b+=rw*(y[j]-f['y_last']); c+=1
    return A,b
def learn(curves):
    A,b=normal(curves); return np.linalg.solve(A+1e-9*np.eye(3),b)
def adapt(prior,curves,lam=100.0):
    A,b=normal(curves); return np.linalg.solve(A+lam*np.eye(3),b+lam*prior)
def trend_ln(f,w,xt): return f['y_last']+row(f,xt-f['x_last'])@w
def pearson(a,b): return np.corrcoef(a,b)[0,1]
def relacc(truth,i): return (truth.max()-truth[i])/(truth.max()-truth.min())
def afford(r): return X<=np.log(FULL/r)+1e-9
