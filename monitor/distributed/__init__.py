"""Scale-out mode: procrastinate workers on PostgreSQL running the same job functions as the in-process scheduler.

tick (periodic, every minute) ─► one `run-job` per due (job, target, slot) ─► any worker ─► runner.run_job
                                                                             (claims the slot: at most once)
"""
