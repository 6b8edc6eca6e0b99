#!/usr/bin/env python3
"""Checks the CI recipes in examples/ci/ offline, field by field, against the keys GitHub Actions
and GitLab CI define: the files parse as YAML, every job has what its service requires, no key
is one the service would reject, and each recipe installs the tsmfs package and runs the client's
tests under `tsmfs exec --provider tdx`.

Usage: ci_recipe_check.py GITHUB_WORKFLOW GITLAB_CI
Prints one JSON object of named checks; exits 0 only when all hold.
"""
import json
import sys

import yaml

GITHUB_TOP = {"name", "run-name", "on", "permissions", "env", "defaults", "concurrency", "jobs"}
GITHUB_JOB = {
    "name", "permissions", "needs", "if", "runs-on", "environment", "concurrency", "outputs", "env",
    "defaults", "steps", "timeout-minutes", "strategy", "continue-on-error", "container", "services", "uses",
    "with", "secrets",
}
GITHUB_STEP = {"id", "if", "name", "uses", "run", "working-directory", "shell", "with", "env",
               "continue-on-error", "timeout-minutes"}
GITLAB_GLOBAL = {"default", "include", "stages", "variables", "workflow", "image", "services", "cache",
                 "before_script", "after_script"}
GITLAB_JOB = {
    "after_script", "allow_failure", "artifacts", "before_script", "cache", "coverage", "dast_configuration",
    "dependencies", "environment", "extends", "hooks", "id_tokens", "identity", "image", "inherit", "interruptible",
    "needs", "pages", "parallel", "release", "resource_group", "retry", "rules", "script", "secrets", "services",
    "stage", "tags", "timeout", "trigger", "variables", "when",
}


def commands(lines):
    return "\n".join(lines if isinstance(lines, list) else [lines or ""])


def github(path):
    workflow = yaml.safe_load(open(path))
    # YAML 1.1 reads the key `on` as the boolean true, as PyYAML does; GitHub reads it as "on".
    if True in workflow:
        workflow["on"] = workflow.pop(True)
    checks = {"github: top-level keys known": set(workflow) <= GITHUB_TOP,
              "github: has on and jobs": {"on", "jobs"} <= set(workflow)}
    script = ""
    for name, job in workflow.get("jobs", {}).items():
        checks[f"github: job {name} keys known"] = set(job) <= GITHUB_JOB
        checks[f"github: job {name} has runs-on and steps"] = "runs-on" in job and isinstance(job.get("steps"), list)
        for index, step in enumerate(job.get("steps", [])):
            checks[f"github: job {name} step {index} keys known"] = set(step) <= GITHUB_STEP
            checks[f"github: job {name} step {index} is one of uses or run"] = ("uses" in step) != ("run" in step)
            script += commands(step.get("run", "")) + "\n"
    return checks, script


def gitlab(path):
    pipeline = yaml.safe_load(open(path))
    jobs = {key: value for key, value in pipeline.items() if key not in GITLAB_GLOBAL and not key.startswith(".")}
    checks = {"gitlab: at least one job": bool(jobs)}
    stages = pipeline.get("stages", ["build", "test", "deploy"])
    script = ""
    for name, job in jobs.items():
        checks[f"gitlab: job {name} keys known"] = isinstance(job, dict) and set(job) <= GITLAB_JOB
        checks[f"gitlab: job {name} has a script"] = isinstance(job.get("script"), list) and bool(job["script"])
        checks[f"gitlab: job {name} stage declared"] = job.get("stage", "test") in stages
        script += commands(job.get("before_script", [])) + "\n" + commands(job.get("script", [])) + "\n"
    return checks, script


def uses_tsmfs(service, script):
    return {
        f"{service}: installs the tsmfs package with apt": "apt-get install" in script and ".deb" in script,
        f"{service}: exports the simulated roots": "tsmfs roots --provider tdx" in script,
        f"{service}: runs the tests under tsmfs exec --provider tdx": "tsmfs exec --provider tdx " in script,
        f"{service}: with the vendor services": "tsmfs exec --provider tdx --services --" in script,
    }


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    checks = {}
    for service, reader, path in (("github", github, sys.argv[1]), ("gitlab", gitlab, sys.argv[2])):
        found, script = reader(path)
        checks.update(found)
        checks.update(uses_tsmfs(service, script))
    print(json.dumps(checks, indent=1))
    sys.exit(0 if all(checks.values()) else 1)


main()
