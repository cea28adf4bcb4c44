"""Checks that the probe settings of a Deployment fit the app's drain delay.

The schema validator checks each field alone; this checks how they relate:
the drain delay must outlast the readiness probe's time to fail, and the
grace period must outlast the drain delay plus the longest request.

Usage: python manifest_timings.py deployment.yaml [more.yaml ...]
"""

import sys

import yaml

# The time healthz gives a check before answering 503 (its default timeout).
CHECK_TIMEOUT = 0.9
# The longest request the example is expected to serve.
LONGEST_REQUEST = 10
# What each probe asks, over HTTP or over gRPC health.
PATHS = {
    "startupProbe": "/healthz/startup",
    "livenessProbe": "/healthz/live",
    "readinessProbe": "/healthz/ready",
}
SERVICES = {
    "startupProbe": "startup",
    "livenessProbe": "liveness",
    "readinessProbe": "readiness",
}


def check(pod):
    (container,) = pod["containers"]
    env = {var["name"]: var["value"] for var in container.get("env", [])}
    drain = float(env["DRAIN_SECONDS"])
    grace = pod["terminationGracePeriodSeconds"]
    problems = []

    for name, path in PATHS.items():
        probe = container[name]
        if "grpc" in probe:
            if probe["grpc"].get("service") != SERVICES[name]:
                problems.append(f"{name} should ask the gRPC service {SERVICES[name]!r}")
        elif probe["httpGet"]["path"] != path:
            problems.append(f"{name} should ask {path}")
        if probe["timeoutSeconds"] <= CHECK_TIMEOUT:
            problems.append(
                f"{name}.timeoutSeconds should exceed the {CHECK_TIMEOUT} s check "
                "timeout, so that a slow check answers 503 before the kubelet gives up"
            )

    ready = container["readinessProbe"]
    noticed = ready["periodSeconds"] * ready["failureThreshold"] + ready["timeoutSeconds"]
    if drain <= noticed:
        problems.append(
            f"DRAIN_SECONDS={drain:g} should exceed the {noticed} s readiness takes to fail "
            "(periodSeconds * failureThreshold + timeoutSeconds)"
        )
    if grace < drain + LONGEST_REQUEST:
        problems.append(
            f"terminationGracePeriodSeconds={grace} should cover the drain delay "
            f"({drain:g} s) and the longest request ({LONGEST_REQUEST} s)"
        )
    return problems


def main(path):
    with open(path) as file:
        documents = [doc for doc in yaml.safe_load_all(file) if doc]
    deployments = [doc for doc in documents if doc["kind"] == "Deployment"]
    if not deployments:
        sys.exit(f"{path}: no Deployment")
    failed = False
    for deployment in deployments:
        for problem in check(deployment["spec"]["template"]["spec"]):
            print(f"{path}: {deployment['metadata']['name']}: {problem}", file=sys.stderr)
            failed = True
    if failed:
        sys.exit(1)
    print(f"{path}: probe timings fit the drain delay")


if __name__ == "__main__":
    for path in sys.argv[1:]:
        main(path)
