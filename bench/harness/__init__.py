"""The benchmarks' shared parts; each script under bench/ composes them.

- `database`: the throwaway PostgreSQL database and Django set up against it;
- `servers`: the app servers (gunicorn, uvicorn), on testing/servers.py;
- `seeding`: the scratch data each benchmark starts from;
- `load`: the load drivers (httpx threads, wrk with bench/wrk_scan.lua);
- `cpu`: where the machine's CPU went during a run;
- `stats`: percentiles and the scan run's figures;
- `checks`: the SQL invariant checks after a run;
- `report`: printing and saving the figures;
- `compare`: scan_compare.py's alternating paths and offline batches;
- `live`: live_latency.py's websocket clients and rounds;
- `cluster`, `multinode`: scale_out.py's processes and phases.

Run the scripts from the repository root, as `python bench/NAME.py` or
`python -m bench.NAME`.
"""
