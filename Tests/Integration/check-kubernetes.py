#!/usr/bin/env python3
"""Structural checks of Deploy/kubernetes: what a schema validator would not catch, the containment
properties. No API server or schema validator (kubeconform) is available offline here, so this
parses the manifests kustomization.yaml lists and asserts:
- every workload runs as non-root, no privilege escalation, read-only root, all capabilities dropped;
- agent pods may send only to Airlock's pods, only on DNS and proxy ports; a default deny exists;
- the agent's resolver and proxy are Airlock's Service address, and the Service ports exist;
- no pod can send from an address not its own: Pod Security "restricted", no hostNetwork, no Calico
  spoofing exemption, and an admission policy that refuses those for every pod in the namespace.
Exit 0 when every check holds; prints each failure otherwise."""
import os
import sys

import yaml

root = sys.argv[1]
with open(os.path.join(root, "kustomization.yaml")) as f:
    kustomization = yaml.safe_load(f)
docs = []
for name in kustomization["resources"]:
    with open(os.path.join(root, name)) as f:
        docs += [d for d in yaml.safe_load_all(f) if d]
# Cluster-scoped objects live in cluster/ (its own kustomization: no namespace put on them).
cluster = os.path.join(root, "cluster")
with open(os.path.join(cluster, "kustomization.yaml")) as f:
    for name in yaml.safe_load(f)["resources"]:
        with open(os.path.join(cluster, name)) as g:
            docs += [d for d in yaml.safe_load_all(g) if d]
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)


by_kind = {}
for d in docs:
    check("apiVersion" in d and "kind" in d and "name" in d.get("metadata", {}), f"incomplete object {d}")
    by_kind.setdefault(d["kind"], []).append(d)

for kind in ("Deployment", "Service", "NetworkPolicy", "Pod", "Namespace"):
    check(kind in by_kind, f"no {kind}")


def pod_specs():
    for d in by_kind.get("Deployment", []):
        yield d["metadata"]["name"], d["spec"]["template"]["spec"], d["spec"]["template"]["metadata"]["labels"]
    for d in by_kind.get("Pod", []):
        yield d["metadata"]["name"], d["spec"], d["metadata"]["labels"]


for name, spec, _ in pod_specs():
    check(spec.get("securityContext", {}).get("runAsNonRoot") is True, f"{name}: runAsNonRoot")
    check(spec.get("automountServiceAccountToken") is False, f"{name}: service account token mounted")
    for c in spec["containers"]:
        sc = c.get("securityContext", {})
        check(sc.get("allowPrivilegeEscalation") is False, f"{name}/{c['name']}: allowPrivilegeEscalation")
        check(sc.get("readOnlyRootFilesystem") is True, f"{name}/{c['name']}: readOnlyRootFilesystem")
        check(sc.get("capabilities", {}).get("drop") == ["ALL"], f"{name}/{c['name']}: capabilities not dropped")
        check(not sc.get("capabilities", {}).get("add"), f"{name}/{c['name']}: capabilities added")

service = next(s for s in by_kind["Service"] if s["metadata"]["name"] == "airlock")
service_ip = service["spec"]["clusterIP"]
airlock = next(d for d in by_kind["Deployment"] if d["metadata"]["name"] == "airlock")
container_ports = {p["name"] for c in airlock["spec"]["template"]["spec"]["containers"] for p in c["ports"]}
for p in service["spec"]["ports"]:
    check(p["targetPort"] in container_ports, f"service port {p['name']} targets a missing container port")
check(service["spec"]["selector"] == airlock["spec"]["selector"]["matchLabels"], "service selects other pods")

policies = {p["metadata"]["name"]: p["spec"] for p in by_kind["NetworkPolicy"]}
default_deny = [s for s in policies.values() if s["podSelector"] == {} and set(s["policyTypes"]) == {"Ingress", "Egress"}]
check(len(default_deny) == 1, "no default-deny NetworkPolicy")
agent_policies = [s for s in policies.values() if s["podSelector"].get("matchLabels") == {"role": "agent"}]
check(len(agent_policies) == 1, "agents need exactly one NetworkPolicy")
allowed = set()
for spec in agent_policies:
    check(spec.get("ingress") == [], "agents accept ingress")
    for rule in spec.get("egress", []):
        check(rule.get("to") == [{"podSelector": {"matchLabels": {"app": "airlock"}}}], f"agent egress to {rule.get('to')}")
        for port in rule.get("ports", []):
            allowed.add((port["port"], port["protocol"]))
check(allowed == {(53, "UDP"), (53, "TCP"), (3128, "TCP")}, f"agent egress ports {sorted(allowed)}")
gateway = [s for s in policies.values() if s["podSelector"].get("matchLabels") == {"app": "airlock"}]
check(len(gateway) == 1, "Airlock needs its own NetworkPolicy")
for spec in gateway:
    for rule in spec.get("egress", []):
        for peer in rule.get("to", []):
            block = peer.get("ipBlock")
            if block and block["cidr"] == "0.0.0.0/0":
                check("169.254.0.0/16" in block.get("except", []), "Airlock may reach link-local (metadata)")

# Airlock must be able to reach its own upstream: a private upstream (the cluster resolver) is closed by
# the 0.0.0.0/0 rule's exceptions, so another rule must open DNS to the resolver's pods.
import ipaddress  # noqa: E402

policy_text = next((v for cm in by_kind.get("ConfigMap", []) for k, v in cm.get("data", {}).items() if k.endswith(".yaml")), None)
if policy_text is None:
    with open(os.path.join(root, "policy.yaml")) as f:
        policy_text = f.read()
upstreams = (yaml.safe_load(policy_text).get("dns") or {}).get("upstreams") or []


def dns_ports(rule):
    ports = {(p.get("port"), p.get("protocol", "TCP")) for p in rule.get("ports", [])}
    return not ports or (53, "UDP") in ports


for upstream in upstreams:
    address = ipaddress.ip_address(upstream.rsplit(":", 1)[0] if upstream.count(":") == 1 else upstream.strip("[]"))
    reachable = False
    for spec in gateway:
        for rule in spec.get("egress", []):
            if not dns_ports(rule):
                continue
            for peer in rule.get("to", []):
                block = peer.get("ipBlock")
                if block:
                    inside = address in ipaddress.ip_network(block["cidr"])
                    excepted = any(address in ipaddress.ip_network(e) for e in block.get("except", []))
                    reachable |= inside and not excepted
                elif address.is_private:
                    # A private upstream is a cluster Service: reachable when a rule names the resolver's pods.
                    selector = peer.get("podSelector", {}).get("matchLabels", {})
                    reachable |= selector.get("k8s-app") == "kube-dns"
    check(reachable, f"Airlock's upstream {upstream} (policy.yaml) is not reachable through its egress policy")

for name, spec, labels in pod_specs():
    if labels.get("role") != "agent":
        continue
    check(spec.get("dnsPolicy") == "None", f"{name}: resolver is not set explicitly")
    check(spec.get("dnsConfig", {}).get("nameservers") == [service_ip], f"{name}: resolver is not Airlock")
    env = {e["name"]: e.get("value") for c in spec["containers"] for e in c.get("env", [])}
    check(env.get("HTTPS_PROXY") == f"http://{service_ip}:3128", f"{name}: HTTPS_PROXY is not Airlock")

# Anti-spoofing (SPOOFING.md): the namespace enforces Pod Security "restricted", no pod uses the
# node's network or a CNI spoofing exemption, and an admission policy bound to the agents' namespace
# refuses both (and added NET_RAW/NET_ADMIN) for every pod created later.
for ns in by_kind.get("Namespace", []):
    labels = ns["metadata"].get("labels", {})
    check(labels.get("pod-security.kubernetes.io/enforce") == "restricted", f"namespace {ns['metadata']['name']}: not restricted")
for d in by_kind.get("Deployment", []) + by_kind.get("Pod", []):
    spec = d["spec"]["template"]["spec"] if d["kind"] == "Deployment" else d["spec"]
    meta = d["spec"]["template"]["metadata"] if d["kind"] == "Deployment" else d["metadata"]
    check(not spec.get("hostNetwork"), f"{d['metadata']['name']}: hostNetwork")
    check("cni.projectcalico.org/allowedSourcePrefixes" not in meta.get("annotations", {}),
          f"{d['metadata']['name']}: may send from other addresses")
vaps = {p["metadata"]["name"]: p for p in by_kind.get("ValidatingAdmissionPolicy", [])}
bindings = by_kind.get("ValidatingAdmissionPolicyBinding", [])
guarded = False
for b in bindings:
    vap = vaps.get(b["spec"].get("policyName"))
    if not vap or "Deny" not in b["spec"].get("validationActions", []):
        continue
    selector = b["spec"].get("matchResources", {}).get("namespaceSelector", {}).get("matchLabels", {})
    if selector != {"kubernetes.io/metadata.name": "agents"}:
        continue
    rules = vap["spec"]["matchConstraints"]["resourceRules"]
    covers_pods = any("pods" in r["resources"] and "CREATE" in r["operations"] and "UPDATE" in r["operations"] for r in rules)
    text = " ".join(v["expression"] for v in vap["spec"]["validations"])
    guarded = covers_pods and all(w in text for w in ("allowedSourcePrefixes", "hostNetwork", "NET_RAW", "NET_ADMIN"))
check(guarded, "no admission policy keeps agents' pods from spoofing exemptions (hostNetwork, allowedSourcePrefixes, NET_RAW/NET_ADMIN)")

for f in failures:
    print("FAIL:", f)
print(f"{len(docs)} objects, {len(failures)} failures")
sys.exit(1 if failures else 0)
