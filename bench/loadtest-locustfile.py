# The original project's Locust scenario, as its report describes it: each user posts the fixed text
# once on start, then loops over POST /analyze (weight 1) and GET /history (weight 2), waiting a
# uniformly random 1-5 s between tasks. Used by bench/loadtest-vs-locust.ts to compare Locust 2.12
# (Debian python3-locust) with `polarity loadtest --scenario seed`.
from locust import HttpUser, between, task

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
