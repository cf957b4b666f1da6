#!/usr/bin/env python3
"""k8s_pod.py - check deploy/k8s's manifests offline, and run a Job's pod
locally with the environment Kubernetes would give it.

  k8s_pod.py check DIR
      Structural checks no Kubernetes server is needed for: every manifest
      parses, Jobs restart Never and fail at once (backoffLimit 0), the
      Indexed Job's completions == parallelism == its TG_SHARDS, every env
      $(VAR) names a variable defined before it (kubelet's rule), every
      configMapKeyRef is a key of the tollgate-run ConfigMap the docs
      create, every volumeMount names a volume, every claim is the PVC of
      results-pvc.yaml (ReadWriteMany), all containers use one image.

  k8s_pod.py run MANIFEST INDEX CONFIGMAP_JSON MOUNTS_JSON ENTRYPOINT
      Runs ENTRYPOINT with the container's args and an environment built as
      the kubelet builds it: literal values, configMapKeyRef values from
      CONFIGMAP_JSON, $(VAR) expanded from earlier entries, and
      JOB_COMPLETION_INDEX=INDEX for an Indexed Job (INDEX '-' for none).
      Mount paths in values are mapped to local directories (MOUNTS_JSON,
      {mountPath: dir}).  PATH and TG pass through.  Exits with the
      entrypoint's status.
"""
import glob
import json
import os
import re
import subprocess
import sys

import yaml

RUN_KEYS = {"TG_RUN", "TG_START_AT", "TG_TARGET"}  # docs/scale-out.md


def load(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def pod_spec(job):
    return job["spec"]["template"]["spec"]


def env_of(container, configmap, index, mounts):
    env, out = container.get("env", []), {}
    for e in env:
        if "value" in e:
            v = re.sub(r"\$\((\w+)\)",
                       lambda m: out.get(m.group(1), m.group(0)), e["value"])
        else:
            ref = e["valueFrom"]["configMapKeyRef"]
            v = configmap[ref["key"]]
        for mount, local in mounts.items():
            if v == mount or v.startswith(mount + "/"):
                v = local + v[len(mount):]
        out[e["name"]] = v
    if index != "-":
        out["JOB_COMPLETION_INDEX"] = index
    return out


def check(d):
    problems, images = [], set()
    pvc = [m for m in load(f"{d}/results-pvc.yaml")
           if m["kind"] == "PersistentVolumeClaim"][0]
    if "ReadWriteMany" not in pvc["spec"]["accessModes"]:
        problems.append("results PVC is not ReadWriteMany")
    for path in sorted(glob.glob(f"{d}/*.yaml")):
        for m in load(path):
            if m["kind"] != "Job":
                continue
            name, spec, ps = path, m["spec"], pod_spec(m)
            if m["apiVersion"] != "batch/v1":
                problems.append(f"{name}: apiVersion {m['apiVersion']}")
            if ps.get("restartPolicy") != "Never" or spec.get("backoffLimit") != 0:
                problems.append(f"{name}: want restartPolicy Never, backoffLimit 0")
            vols = {v["name"]: v for v in ps["volumes"]}
            for v in vols.values():
                claim = v.get("persistentVolumeClaim", {}).get("claimName")
                if claim and claim != pvc["metadata"]["name"]:
                    problems.append(f"{name}: claim {claim} is not the PVC")
            for c in ps["containers"]:
                images.add(c["image"])
                defined = set()
                for e in c.get("env", []):
                    for ref in re.findall(r"\$\((\w+)\)", e.get("value", "")):
                        if ref not in defined:
                            problems.append(f"{name}: $({ref}) before its definition")
                    key = e.get("valueFrom", {}).get("configMapKeyRef", {})
                    if key and (key["name"] != "tollgate-run" or key["key"] not in RUN_KEYS):
                        problems.append(f"{name}: unknown ConfigMap key {key}")
                    defined.add(e["name"])
                for vm in c.get("volumeMounts", []):
                    if vm["name"] not in vols:
                        problems.append(f"{name}: mount of unknown volume {vm['name']}")
                shards = {e["name"]: e.get("value") for e in c["env"]}.get("TG_SHARDS")
                if spec.get("completionMode") == "Indexed":
                    if not (spec["completions"] == spec["parallelism"] == int(shards)):
                        problems.append(f"{name}: completions {spec['completions']}, "
                                        f"parallelism {spec['parallelism']}, TG_SHARDS {shards}")
                    if c["args"] != ["shard"]:
                        problems.append(f"{name}: Indexed Job args {c['args']}")
            print(f"k8s_pod: {os.path.basename(path)}: Job {m['metadata']['name']}"
                  f" ({spec.get('completionMode', 'NonIndexed')}) checked")
    if len(images) != 1:
        problems.append(f"several images: {images}")
    for p in problems:
        print("k8s_pod: " + p)
    return 1 if problems else 0


def run(manifest, index, configmap, mounts, entry):
    job = [m for m in load(manifest) if m["kind"] == "Job"][0]
    c = pod_spec(job)["containers"][0]
    env = env_of(c, json.loads(configmap), index, json.loads(mounts))
    for k in ("PATH", "TG"):
        if k in os.environ:
            env[k] = os.environ[k]
    return subprocess.call([entry] + c.get("args", []), env=env)


if __name__ == "__main__":
    if sys.argv[1] == "check":
        sys.exit(check(sys.argv[2]))
    sys.exit(run(*sys.argv[2:7]))
