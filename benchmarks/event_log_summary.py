"""Where a run's time went, from a Spark event log: each SQL query and job, and the gaps.

    mkdir -p /tmp/spark-events
    PYSPARK_SUBMIT_ARGS="--conf spark.eventLog.enabled=true --conf spark.eventLog.dir=file:///tmp/spark-events pyspark-shell" python main.py
    zstd -d /tmp/spark-events/<application>/events_1_*.zstd -o /tmp/events.json    (Spark 4 compresses it)
    python benchmarks/event_log_summary.py /tmp/events.json

A gap is time the driver spent outside any Spark job: Python, query planning, file moves.
"""

import json
import sys
from collections import defaultdict


def read_events(path: str) -> list[dict]:
    with open(path) as handle:
        return [json.loads(line) for line in handle if line.strip()]


def summarise(events: list[dict]) -> list[tuple[float, float, str, int]]:
    """(start seconds, duration, call site, jobs) per job group, in time order."""
    app_start = next(event["Timestamp"] for event in events if event["Event"] == "SparkListenerApplicationStart")
    jobs = {}
    for event in events:
        if event["Event"] == "SparkListenerJobStart":
            properties = event.get("Properties", {})
            site = properties.get("callSite.short") or properties.get("spark.job.description") or "?"
            jobs[event["Job ID"]] = [event["Submission Time"], None, site]
        elif event["Event"] == "SparkListenerJobEnd":
            jobs[event["Job ID"]][1] = event["Completion Time"]
    rows = [((start - app_start) / 1000, (end - start) / 1000, site, 1) for start, end, site in jobs.values()]
    return sorted(rows)


def main(path: str) -> None:
    events = read_events(path)
    rows = summarise(events)
    by_site = defaultdict(lambda: [0.0, 0])
    previous_end = 0.0
    gaps = 0.0
    for start, seconds, site, _ in rows:
        gap = max(0.0, start - previous_end)
        gaps += gap
        print(f"{start:8.2f}  gap {gap:6.2f}  job {seconds:6.2f}  {site}")
        previous_end = max(previous_end, start + seconds)
        by_site[site][0] += seconds
        by_site[site][1] += 1
    print(f"\n{len(rows)} jobs, {sum(r[1] for r in rows):.1f} s in jobs, {gaps:.1f} s between them")
    for site, (seconds, count) in sorted(by_site.items(), key=lambda item: -item[1][0])[:25]:
        print(f"{seconds:7.2f} s  {count:3d} jobs  {site}")


if __name__ == "__main__":
    main(sys.argv[1])
