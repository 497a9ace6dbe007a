"""How often `slaw compare`'s drift-corrected prediction lies below the floor of every combined
law (JSON `below_floors`), and whether the truth does too: the (Mis)Fitting runs with distinct
checkpoints and at least 8 of them, fitted on their first FRACTION of checkpoints, predicted at the
last one. usage: python3 bench/compare_below_floor.py path/to/slaw FRACTION [runs=1000]
(writes c.csv in the cwd)"""
import csv, json, subprocess, sys, collections, random
BIN=sys.argv[1]; FR=float(sys.argv[2]); K=int(sys.argv[3]) if len(sys.argv)>3 else 1000
rows=list(csv.DictReader(open('/work/shared/data/loss-curves/misfitting/scaling_results.csv')))
runs=collections.defaultdict(list)
for r in rows: runs[(r['model'],r['total_steps'],r['peak_lr'],r['sweep'])].append((float(r['D']),float(r['C4 Eval Loss'])))
keys=sorted(k for k,v in runs.items() if len(v)>=8 and len(set(x for x,_ in v))==len(v))
random.Random(1).shuffle(keys); keys=keys[:K]
fired=tb=0; n=0; err_c=[]; 
for k in keys:
  pts=sorted(runs[k]); m=max(4,int(len(pts)*FR)); fit=pts[:m]; last=pts[-1]
  if last[0]<=fit[-1][0]: continue
  open('c.csv','w').write('x,loss\n'+''.join(f'{x},{l}\n' for x,l in fit))
  o=subprocess.run([BIN,'compare','c.csv','--x','x','--predict',str(last[0]),'--json'],capture_output=True,text=True)
  try: d=json.loads(o.stdout)
  except Exception: continue
  preds=d.get('predictions') or []
  if not preds: continue
  p=preds[0]; n+=1
  if p.get('below_floors'):
    fired+=1; f=p['below_floors']['floor']
    tb+= last[1]<f
    print(k, 'pred',round(p['loss'],4),'floor',round(f,4),'truth',last[1], 'truth<floor' if last[1]<f else '')
print(f"fraction {FR}: {n} runs, fired {fired}, truth below the floor where fired {tb}")
