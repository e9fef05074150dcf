#!/usr/bin/env python3
"""Measures how long a Python job takes to notice a cancel request (cancelRun sent -> JobCancelled raised).

    JOBLOGD_BIN=.build/debug/joblogd python3 Scripts/cancel-latency.py
"""
import os, sys, time, threading, json, socket, subprocess, tempfile
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "Clients/python/src")); sys.path.insert(0, os.path.join(ROOT, "Spec"))
import conformance_replay, joblog
d = conformance_replay.Daemon(os.environ["JOBLOGD_BIN"]); d.start()
admin = conformance_replay.LineConnection(d.socket_path)
c = joblog.Client(d.socket_path)
lat = []
for trial in range(20):
    holder, t_asked, t_seen = [], [], []
    def canceller():
        while not holder: time.sleep(0.001)
        time.sleep(0.05)
        admin.send(json.dumps({"jsonrpc":"2.0","id":1,"method":"cancelRun","params":{"jobRunId":holder[0],"graceMs":60000}}).encode()+b"\n")
        t_asked.append(time.monotonic()); admin.read_line()
    t = threading.Thread(target=canceller); t.start()
    try:
        with joblog.run_job("measure", client=c) as ctx:
            holder.append(ctx.job_run_id)
            while True:
                time.sleep(0.0005); ctx.logger.increment_progress()
    except joblog.JobCancelled:
        t_seen.append(time.monotonic())
    t.join()
    lat.append((t_seen[0]-t_asked[0])*1000)
lat.sort()
print("cancelRun sent -> JobCancelled raised (Python, 0.5 ms items), 20 trials: median %.2f ms, max %.2f ms" % (lat[10], lat[-1]))
c.close(); d.cleanup()
