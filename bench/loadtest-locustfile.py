# The original project's Locust scenario, as its report describes it: each user posts the fixed text
# once on start, then loops over POST /analyze (weight 1) and GET /history (weight 2), waiting a
# uniformly random 1-5 s between tasks. Used by bench/loadtest-vs-locust.ts to compare Locust 2.12
# (Debian python3-locust) with `polarity loadtest --scenario seed`.
#
# When POLARITY_LOCUST_JSON names a file, the final statistics are written there as JSON when Locust
# quits (its CSV files are rewritten once a second, so they can miss the last second of a run), with
# the CPU time Locust's process used.
import json
import os
import resource

from locust import HttpUser, between, events, task

TEXT = "This is a test text for sentiment analysis."


class SentimentUser(HttpUser):
    wait_time = between(1, 5)

    def on_start(self):
        self.client.post("/analyze", json={"text": TEXT})

    @task(1)
    def analyze(self):
        self.client.post("/analyze", json={"text": TEXT})

    @task(2)
    def history(self):
        self.client.get("/history")


@events.quitting.add_listener
def _write_final_stats(environment, **_kwargs):
    path = os.environ.get("POLARITY_LOCUST_JSON")
    if not path:
        return
    stats = environment.stats
    total = stats.total
    usage = resource.getrusage(resource.RUSAGE_SELF)

    def entry(e):
        return {
            "method": e.method or "",
            "name": e.name,
            "requests": e.num_requests,
            "failures": e.num_failures,
            "median": e.median_response_time,
            "mean": e.avg_response_time,
            "p95": e.get_response_time_percentile(0.95),
            "p99": e.get_response_time_percentile(0.99),
            "rps": e.total_rps,
        }

    with open(path, "w") as f:
        json.dump({
            "requests": total.num_requests,
            "failures": total.num_failures,
            "avgRps": total.total_rps,
            "durationS": (total.last_request_timestamp or total.start_time) - total.start_time,
            "aggregated": entry(total),
            "entries": [entry(e) for e in stats.entries.values()],
            "errors": [{"method": e.method, "name": e.name, "error": ls_error(e), "occurrences": e.occurrences} for e in stats.errors.values()],
            "cpuUserS": usage.ru_utime,
            "cpuSystemS": usage.ru_stime,
        }, f)


def ls_error(e):
    from locust.stats import StatsError
    return StatsError.parse_error(e.error)
