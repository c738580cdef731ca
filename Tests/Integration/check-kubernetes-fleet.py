#!/usr/bin/env python3
"""Structural checks of the fleet overlay (Deploy/kubernetes-fleet), read from `kubectl kustomize`'s
output on standard input: the gateway replicas name themselves after their pods and read the Redis
password from the Secret Redis uses; the policy in the ConfigMap names the Redis Service's address
and that password file; Redis runs without privileges, without persistence, with volatile-ttl
eviction, and takes connections from the gateway pods only. Exit 0 when every check holds."""
import sys

import yaml

docs = [d for d in yaml.safe_load_all(sys.stdin) if d]
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)


def find(kind, name):
    for d in docs:
        if d["kind"] == kind and d["metadata"]["name"] == name:
            return d
    failures.append(f"no {kind} {name}")
    return None


airlock = find("Deployment", "airlock")
redis = find("Deployment", "airlock-redis")
service = find("Service", "airlock-redis")
config = find("ConfigMap", "airlock-policy")
redis_policy = find("NetworkPolicy", "airlock-redis")
to_redis = find("NetworkPolicy", "airlock-to-redis")
if None in (airlock, redis, service, config, redis_policy, to_redis):
    print("\n".join(failures))
    sys.exit(1)

policy = yaml.safe_load(config["data"]["policy.yaml"])
fleet = policy.get("fleet", {})
check(fleet.get("redis") == f"{service['spec']['clusterIP']}:6379", f"fleet.redis {fleet.get('redis')} is not the Service")
check(service["spec"]["selector"] == redis["spec"]["selector"]["matchLabels"], "the Redis Service selects other pods")

spec = airlock["spec"]["template"]["spec"]
container = spec["containers"][0]
check("--fleet-instance=$(POD_NAME)" in container["args"], "replicas do not name themselves")
env = {e["name"]: e for e in container.get("env", [])}
check(env.get("POD_NAME", {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") == "metadata.name",
      "POD_NAME is not the pod's name")
password_dir = fleet.get("password_file", "").rsplit("/", 1)[0]
mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
volumes = {v["name"]: v for v in spec.get("volumes", [])}
secret = volumes.get(mounts.get(password_dir, ""), {}).get("secret", {}).get("secretName")
check(secret == "airlock-redis-password", f"fleet.password_file's folder {password_dir} is not the password Secret")
for path in mounts:
    if path != password_dir:
        check(not path.startswith(password_dir + "/") and not password_dir.startswith(path + "/"),
              f"mount {path} nests with {password_dir}")

rspec = redis["spec"]["template"]["spec"]
check(rspec.get("securityContext", {}).get("runAsNonRoot") is True, "Redis runs as root")
check(rspec.get("automountServiceAccountToken") is False, "Redis mounts a service account token")
rc = rspec["containers"][0]
sc = rc.get("securityContext", {})
check(sc.get("readOnlyRootFilesystem") is True and sc.get("allowPrivilegeEscalation") is False, "Redis container privileges")
check(sc.get("capabilities", {}).get("drop") == ["ALL"], "Redis keeps capabilities")
command = " ".join(rc.get("command", []) + rc.get("args", []))
for word in ("--save \"\"", "--appendonly no", "--maxmemory-policy volatile-ttl", "--requirepass"):
    check(word in command, f"Redis command lacks {word}")
rvolumes = {v["name"]: v for v in rspec.get("volumes", [])}
check(any(v.get("secret", {}).get("secretName") == "airlock-redis-password" for v in rvolumes.values()),
      "Redis does not read the password Secret")

ingress = redis_policy["spec"].get("ingress", [])
check(ingress == [{"from": [{"podSelector": {"matchLabels": {"app": "airlock"}}}], "ports": [{"port": 6379, "protocol": "TCP"}]}],
      f"Redis ingress {ingress}")
check(redis_policy["spec"].get("egress") == [] and "Egress" in redis_policy["spec"]["policyTypes"], "Redis may start connections")
check(to_redis["spec"]["podSelector"] == {"matchLabels": {"app": "airlock"}}, "the egress rule is not the gateway's")

print("\n".join(failures) if failures else "fleet overlay: every check holds")
sys.exit(1 if failures else 0)
