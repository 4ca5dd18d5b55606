#!/usr/bin/env python3
"""Static check of AfterCare's deployment files against the code (issue 11).

    python3 tests/deploy/check_manifests.py [REPO_ROOT]

No cluster, no Docker, no kubectl/kustomize: it reads the C++ sources for the facts (programs,
settings each one reads, topics, consumer groups, metric names) and checks that

  * every YAML file under deploy/k8s and deploy/compose parses (multi-document too), and every
    kustomize env file is KEY=VALUE lines;
  * the kustomize base and each overlay render (a small built-in renderer: resources,
    components, configMap/secret generators with merge, JSON 6902 and merge patches, images,
    namespace), and in each of them every service and the gateway has a Deployment, a Service,
    readiness and liveness probes, resource requests and limits, an HPA and a PDB, and each
    service a CloudNativePG Cluster and a migration Job <service>-migrate (the Deployment's image
    and settings with AFTERCARE_MIGRATE_ONLY=1, ordered between the database and the Deployment,
    and let by the NetworkPolicies reach its own database and nothing else but DNS); Compose
    likewise has a one-shot <service>-migrate that the service waits for;
  * every AFTERCARE_* variable given to a program (Kubernetes, Compose, Dockerfile ENV, env-file
    examples) is one that program reads, and the required ones are set (AFTERCARE_DB_URL,
    AFTERCARE_KAFKA_BOOTSTRAP, non-loopback listen addresses for the services;
    AFTERCARE_JWT_SECRET, AFTERCARE_<SERVICE>_ADDR, AFTERCARE_REDIS_ADDR for the gateway), with
    ports that agree with the containers, Services, probes and the gateway's targets;
  * the KafkaTopic list and the Compose topic-init list equal the topics the code uses (the five
    aftercare.<service>.v1 and each .dlq), with replication factor 3 and min.insync.replicas 2;
  * the NetworkPolicies let only the gateway be reached from anywhere;
  * the Dockerfile has a target per program and installs every -dev package of
    deploy/local/lib.sh;
  * docs/operations.md documents every setting the code reads and every consumer group, and
    the metric names in the alert rules and the docs exist in the code.

Exits 1 with one line per problem on any drift, 0 otherwise.
"""

import copy
import os
import re
import sys

try:
    import yaml
except ImportError:  # pragma: no cover - environment problem, reported clearly
    print("check_manifests: PyYAML is not installed (Debian package python3-yaml; "
          "deploy/local/lib.sh installs it)", file=sys.stderr)
    sys.exit(1)

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                       os.path.join(os.path.dirname(__file__), "..", ".."))
ERRORS = []
CHECKS = 0


def fail(msg):
    ERRORS.append(msg)


def check(cond, msg):
    global CHECKS
    CHECKS += 1
    if not cond:
        fail(msg)
    return cond


def rel(path):
    return os.path.relpath(path, ROOT)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


# ---------------------------------------------------------------------------------------------
# Facts from the code
# ---------------------------------------------------------------------------------------------

LITERAL_VAR = re.compile(r'"(AFTERCARE_[A-Z0-9_]+)"')
# kit::peer_channel("intake") reads AFTERCARE_INTAKE_ADDR (services/common/service_host.cc).
PEER_CHANNEL = re.compile(r'peer_channel\(\s*"([a-z]+)"\s*\)')


def source_files(top):
    for dirpath, _, names in os.walk(top):
        for n in sorted(names):
            if n.endswith((".cc", ".h", ".cpp", ".hpp")):
                yield os.path.join(dirpath, n)


def literal_vars(top):
    found = set()
    for f in source_files(top):
        text = read(f)
        found |= set(LITERAL_VAR.findall(text))
        found |= {f"AFTERCARE_{peer.upper()}_ADDR" for peer in PEER_CHANNEL.findall(text)}
    return found


def code_facts():
    svc_root = os.path.join(ROOT, "services")
    services = sorted(
        d for d in os.listdir(svc_root)
        if d != "common" and os.path.isfile(os.path.join(svc_root, d, "main.cc")))
    for s in services:
        main = read(os.path.join(svc_root, s, "main.cc"))
        check(f'load_config("{s}"' in main or f'kit::serve("{s}"' in main,
              f"services/{s}/main.cc: expected kit::serve(\"{s}\", ...) or "
              f"kit::load_config(\"{s}\", ...)")
    kit_vars = literal_vars(os.path.join(svc_root, "common"))
    check("AFTERCARE_DB_URL" in kit_vars and "AFTERCARE_KAFKA_BOOTSTRAP" in kit_vars,
          "services/common: kit settings not found (AFTERCARE_DB_URL, AFTERCARE_KAFKA_BOOTSTRAP)")
    reads = {s: kit_vars | literal_vars(os.path.join(svc_root, s)) for s in services}

    # The gateway reads literals plus AFTERCARE_<SVC>_ADDR built in a loop over service names.
    gw_dir = os.path.join(ROOT, "gateway")
    gw_vars = literal_vars(gw_dir)
    gw_main = read(os.path.join(gw_dir, "cli.cc"))  # config_from_env (main.cc calls it)
    m = re.search(r'for\s*\(\s*const\s+char\s*\*\s*\w+\s*:\s*\{([^}]*)\}\s*\)\s*\{[^}]*'
                  r'"AFTERCARE_"\s*\+[^;]*"_ADDR"', gw_main, re.S)
    if check(m is not None, "gateway/cli.cc: cannot find how AFTERCARE_<SERVICE>_ADDR is built; "
             "update tests/deploy/check_manifests.py"):
        addr_services = re.findall(r'"([a-z]+)"', m.group(1))
        check(sorted(addr_services) == services,
              f"gateway/cli.cc addresses services {sorted(addr_services)}, code has {services}")
        gw_vars |= {f"AFTERCARE_{s.upper()}_ADDR" for s in addr_services}
    reads["gateway"] = gw_vars

    # Topics: each service publishes aftercare.<service>.v1 (Config::topic()); dead letters go to
    # <topic>.dlq (consumer.cc). Every topic literal in the services must be one of those.
    config_h = read(os.path.join(svc_root, "common", "config.h"))
    check('"aftercare." + service + ".v1"' in config_h,
          "services/common/config.h: topic naming changed; update the check")
    check('".dlq"' in read(os.path.join(svc_root, "common", "consumer.cc")),
          "services/common/consumer.cc: dead-letter topic naming changed; update the check")
    topics = {f"aftercare.{s}.v1" for s in services}
    topics |= {t + ".dlq" for t in topics}
    used_topics = set()
    groups = {}
    for s in services:
        texts = {f: read(f) for f in source_files(os.path.join(svc_root, s))}
        consts = {}
        for t in texts.values():
            for name, value in re.findall(r'constexpr\s+const\s+char\s*\*\s*(\w+)\s*=\s*"([^"]*)"', t):
                consts[name] = value
        for f, t in texts.items():
            used_topics |= set(re.findall(r'"(aftercare\.[a-z]+\.v1(?:\.dlq)?)"', t))
            for g, subs in re.findall(r'add_consumer\(\s*\{\s*([^,{}]+?)\s*,\s*\{([^}]*)\}', t, re.S):
                g = g.strip()
                name = g.strip('"') if g.startswith('"') else consts.get(g.split("::")[-1])
                if check(name is not None, f"{rel(f)}: cannot resolve consumer group {g}"):
                    groups[name] = (s, re.findall(r'"([^"]+)"', subs))
    for t in sorted(used_topics - topics):
        fail(f"code uses topic {t}, which no service publishes")
    for g, (s, subs) in sorted(groups.items()):
        for t in subs:
            check(t in topics, f"consumer group {g} ({s}) subscribes to unknown topic {t}")

    # Metric names the kit and the gateway register.
    metrics = set()
    for top in (os.path.join(svc_root, "common"), gw_dir):
        for f in source_files(top):
            metrics |= set(re.findall(r'\.?(?:counter|gauge|histogram)\(\s*"(aftercare_[a-z0-9_]+)"',
                                      read(f)))
    return {"services": services, "programs": services + ["gateway"], "reads": reads,
            "topics": topics, "groups": groups, "metrics": metrics}


# ---------------------------------------------------------------------------------------------
# YAML and env files
# ---------------------------------------------------------------------------------------------

def load_yaml_docs(path):
    try:
        with open(path, encoding="utf-8") as f:
            return [d for d in yaml.safe_load_all(f) if d is not None]
    except yaml.YAMLError as e:
        fail(f"{rel(path)}: YAML does not parse: {e}")
        return []


def parse_env_file(path):
    out = {}
    for n, line in enumerate(read(path).splitlines(), 1):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        if not check("=" in s and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", s),
                     f"{rel(path)}:{n}: not a KEY=VALUE line: {line!r}"):
            continue
        k, v = s.split("=", 1)
        out[k] = v
    return out


def env_file_or_example(path, where):
    """A git-ignored secret env file, or its committed .example."""
    if os.path.isfile(path):
        return parse_env_file(path)
    if check(os.path.isfile(path + ".example"),
             f"{where}: neither {rel(path)} nor {rel(path)}.example exists"):
        return parse_env_file(path + ".example")
    return {}


def all_yaml_files(top):
    for dirpath, _, names in os.walk(top):
        for n in sorted(names):
            if n.endswith((".yaml", ".yml")):
                yield os.path.join(dirpath, n)


# ---------------------------------------------------------------------------------------------
# A small kustomize renderer (the subset deploy/k8s uses)
# ---------------------------------------------------------------------------------------------

def api_group(obj):
    av = obj.get("apiVersion", "")
    return av.split("/")[0] if "/" in av else ""


def obj_id(obj):
    return f'{obj.get("kind")}/{obj.get("metadata", {}).get("name")}'


def pointer(path):
    if path == "":
        return []
    check(path.startswith("/"), f"JSON pointer {path!r} must start with /")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def json_patch(doc, ops, where):
    for op in ops:
        kind, parts = op.get("op"), pointer(op.get("path", ""))
        parent, ok = doc, True
        for p in parts[:-1]:
            if isinstance(parent, list) and p.isdigit() and int(p) < len(parent):
                parent = parent[int(p)]
            elif isinstance(parent, dict) and p in parent:
                parent = parent[p]
            else:
                ok = False
                break
        if not check(ok and parts, f"{where}: {kind} {op.get('path')}: parent path does not exist"):
            continue
        last = parts[-1]
        if isinstance(parent, list):
            if kind == "add" and last == "-":
                parent.append(copy.deepcopy(op["value"]))
            elif last.isdigit() and int(last) <= len(parent) - (0 if kind == "add" else 1):
                i = int(last)
                if kind == "add":
                    parent.insert(i, copy.deepcopy(op["value"]))
                elif kind == "replace":
                    parent[i] = copy.deepcopy(op["value"])
                elif kind == "remove":
                    del parent[i]
            else:
                fail(f"{where}: {kind} {op.get('path')}: no such list index")
        elif isinstance(parent, dict):
            if kind == "add":
                parent[last] = copy.deepcopy(op["value"])
            elif check(last in parent, f"{where}: {kind} {op.get('path')}: path does not exist"):
                if kind == "replace":
                    parent[last] = copy.deepcopy(op["value"])
                elif kind == "remove":
                    del parent[last]
                elif kind == "test":
                    check(parent[last] == op.get("value"), f"{where}: test {op.get('path')} failed")
        else:
            fail(f"{where}: {kind} {op.get('path')}: parent is not a container")


def merge_patch(doc, patch):
    for k, v in patch.items():
        if isinstance(v, dict) and isinstance(doc.get(k), dict):
            merge_patch(doc[k], v)
        elif v is None:
            doc.pop(k, None)
        else:
            doc[k] = copy.deepcopy(v)


def matches(target, obj):
    if "kind" in target and target["kind"] != obj.get("kind"):
        return False
    if "group" in target and target["group"] != api_group(obj):
        return False
    if "version" in target and not obj.get("apiVersion", "").endswith("/" + target["version"]):
        return False
    if "name" in target and not re.fullmatch(target["name"], obj.get("metadata", {}).get("name", "")):
        return False
    return True


def generate(kind, gen, kdir, objs, where):
    data = {}
    for e in gen.get("envs", []):
        p = os.path.join(kdir, e)
        data.update(env_file_or_example(p, where) if kind == "Secret" else
                    (parse_env_file(p) if check(os.path.isfile(p), f"{where}: missing {rel(p)}")
                     else {}))
    for lit in gen.get("literals", []):
        k, _, v = lit.partition("=")
        data[k] = v
    behavior = gen.get("behavior", "create")
    existing = [o for o in objs if o.get("kind") == kind and o["metadata"]["name"] == gen["name"]]
    if behavior in ("merge", "replace"):
        if check(existing, f"{where}: {kind} generator {gen['name']} has behavior {behavior} "
                 "but the base does not generate it"):
            if behavior == "replace":
                existing[0]["data"] = {}
            existing[0].setdefault("data", {}).update(data)
    else:
        check(not existing, f"{where}: {kind} {gen['name']} generated twice")
        objs.append({"apiVersion": "v1", "kind": kind, "metadata": {"name": gen["name"]},
                     "data": data, "_generated": True})


def render(kdir, component=False):
    """Returns the list of objects kustomize would produce for kdir (enough for these checks)."""
    kfile = os.path.join(kdir, "kustomization.yaml")
    where = rel(kfile)
    if not check(os.path.isfile(kfile), f"{rel(kdir)}: no kustomization.yaml"):
        return []
    docs = load_yaml_docs(kfile)
    if not docs:
        return []
    k = docs[0]
    check(k.get("kind") == ("Component" if component else "Kustomization"),
          f"{where}: kind should be {'Component' if component else 'Kustomization'}")
    objs = []
    for r in k.get("resources", []):
        p = os.path.normpath(os.path.join(kdir, r))
        if os.path.isdir(p):
            objs += render(p)
        elif check(os.path.isfile(p), f"{where}: resource {r} does not exist"):
            objs += copy.deepcopy(load_yaml_docs(p))
    for c in k.get("components", []):
        p = os.path.normpath(os.path.join(kdir, c))
        objs += render(p, component=True)
    for gen in k.get("configMapGenerator", []):
        generate("ConfigMap", gen, kdir, objs, where)
    for gen in k.get("secretGenerator", []):
        generate("Secret", gen, kdir, objs, where)
    for i, p in enumerate(k.get("patches", [])):
        text = p.get("patch")
        if text is None and check("path" in p, f"{where}: patch {i} has neither patch nor path"):
            text = read(os.path.join(kdir, p["path"]))
        body = yaml.safe_load(text)
        target = p.get("target")
        if isinstance(body, list):
            hits = [o for o in objs if target is not None and matches(target, o)]
            if check(hits, f"{where}: patch {i} (target {target}) matches nothing"):
                for o in hits:
                    json_patch(o, body, f"{where}: patch {i} on {obj_id(o)}")
        else:
            target = target or {"kind": body.get("kind"), "name": body["metadata"]["name"]}
            hits = [o for o in objs if matches(target, o)]
            if check(hits, f"{where}: patch {i} (target {target}) matches nothing"):
                for o in hits:
                    merge_patch(o, {kk: vv for kk, vv in body.items() if kk not in ("metadata",)})
    for img in k.get("images", []):
        for o in objs:
            for c in pod_containers(o):
                name, _, tag = c.get("image", "").partition(":")
                if name == img["name"]:
                    c["image"] = f'{img.get("newName", name)}:{img.get("newTag", tag)}'
    if k.get("namespace"):
        for o in objs:
            if o.get("kind") != "Namespace":
                o.setdefault("metadata", {})["namespace"] = k["namespace"]
    return objs


def pod_spec(o):
    if o.get("kind") in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
        return o.get("spec", {}).get("template", {}).get("spec", {})
    return None


def pod_containers(o):
    spec = pod_spec(o)
    if not spec:
        return []
    return spec.get("containers", []) + spec.get("initContainers", [])


def find(objs, kind, name):
    hits = [o for o in objs if o.get("kind") == kind and o.get("metadata", {}).get("name") == name]
    return hits[0] if hits else None


# ---------------------------------------------------------------------------------------------
# Checks shared by every way of running a program
# ---------------------------------------------------------------------------------------------

def host_port(value):
    host, _, port = value.rpartition(":")
    return host, (int(port) if port.isdigit() else None)


def check_program_env(facts, program, env, where, listen_ports=None):
    """env: name -> value (None when it comes from a secret/unknown). Returns the env."""
    allowed = facts["reads"][program]
    for name in sorted(env):
        if name.startswith("AFTERCARE_"):
            check(name in allowed, f"{where}: {program} is given {name}, which it does not read "
                  f"(it reads {', '.join(sorted(allowed))})")
    if program == "gateway":
        required = ["AFTERCARE_JWT_SECRET", "AFTERCARE_REDIS_ADDR", "AFTERCARE_HTTP_ADDR"]
        required += [f"AFTERCARE_{s.upper()}_ADDR" for s in facts["services"]]
    else:
        required = ["AFTERCARE_DB_URL", "AFTERCARE_GRPC_ADDR", "AFTERCARE_METRICS_ADDR"]
        check("AFTERCARE_KAFKA_BOOTSTRAP" in env or "AFTERCARE_KAFKA_BOOTSTRAP_FILE" in env,
              f"{where}: {program} needs AFTERCARE_KAFKA_BOOTSTRAP")
    for name in required:
        check(name in env, f"{where}: {program} needs {name}")
    for name in ("AFTERCARE_GRPC_ADDR", "AFTERCARE_METRICS_ADDR"):
        if env.get(name):
            host, port = host_port(env[name])
            check(host not in ("127.0.0.1", "localhost", "::1") and port,
                  f"{where}: {program} {name}={env[name]} must bind all interfaces with a port")
    if env.get("AFTERCARE_HTTP_ADDR"):
        check(env["AFTERCARE_HTTP_ADDR"] not in ("127.0.0.1", "localhost", "::1"),
              f"{where}: gateway AFTERCARE_HTTP_ADDR must not be loopback in a container")
    return env


def container_env(objs, container, where):
    env = {}
    for ef in container.get("envFrom", []):
        if "configMapRef" in ef:
            cm = find(objs, "ConfigMap", ef["configMapRef"]["name"])
            if check(cm is not None, f"{where}: envFrom ConfigMap {ef['configMapRef']['name']} "
                     "does not exist"):
                env.update(cm.get("data", {}))
        elif "secretRef" in ef:
            sec = find(objs, "Secret", ef["secretRef"]["name"])
            if sec is not None:
                env.update({k: None for k in sec.get("data", {})})
    for e in container.get("env", []):
        value = e.get("value")
        vf = e.get("valueFrom", {})
        if "configMapKeyRef" in vf:
            cm = find(objs, "ConfigMap", vf["configMapKeyRef"]["name"])
            value = (cm or {}).get("data", {}).get(vf["configMapKeyRef"]["key"])
        env[e["name"]] = value
    return env


def env_source(container, name):
    for e in container.get("env", []):
        if e["name"] == name:
            return e.get("valueFrom", {})
    return {}


# ---------------------------------------------------------------------------------------------
# Kubernetes
# ---------------------------------------------------------------------------------------------

def port_of(container, name):
    for p in container.get("ports", []):
        if p.get("name") == name:
            return p.get("containerPort")
    return None


def resolve_port(container, port):
    return port_of(container, port) if isinstance(port, str) else port


def sync_wave(obj):
    return int(obj.get("metadata", {}).get("annotations", {}).get("argocd.argoproj.io/sync-wave", "0"))


def selects(match_labels, labels):
    """A NetworkPolicy/selector matchLabels (the only form deploy/k8s uses) against pod labels."""
    return all(labels.get(k) == v for k, v in (match_labels or {}).items())


def policies_for(pols, labels, direction):
    return [p for p in pols if selects(p["spec"].get("podSelector", {}).get("matchLabels"), labels)
            and direction in p["spec"].get("policyTypes", [])]


def rule_ports(rule):
    return [p.get("port") for p in rule.get("ports", [])] or ["any"]


# Settings the binary only uses after the migrations (listeners, Kafka, Redis): the migration Job
# need not have them. Every other setting the Deployment gives must reach the Job unchanged.
NOT_NEEDED_TO_MIGRATE = {"AFTERCARE_KAFKA_BOOTSTRAP", "AFTERCARE_KAFKA_BOOTSTRAP_FILE",
                         "AFTERCARE_GRPC_ADDR", "AFTERCARE_METRICS_ADDR", "AFTERCARE_REDIS_ADDR"}


def check_migrate_job(facts, objs, where, prog, job, dep, dep_c, dep_env, cluster):
    name = f"{prog}-migrate"
    w = f"{where}: Job {name}"
    spec = job.get("spec", {})
    pod = spec.get("template", {}).get("spec", {})
    labels = spec.get("template", {}).get("metadata", {}).get("labels", {})
    for k in ("backoffLimit", "activeDeadlineSeconds", "ttlSecondsAfterFinished"):
        check(isinstance(spec.get(k), int), f"{w} needs spec.{k}")
    check(pod.get("restartPolicy") in ("OnFailure", "Never"), f"{w}: restartPolicy OnFailure or Never")
    # Order under Argo CD: databases, then migrations, then the programs.
    check(sync_wave(job) < sync_wave(dep), f"{w}: sync wave must come before Deployment {prog}'s")
    if cluster is not None:
        check(sync_wave(cluster) < sync_wave(job), f"{w}: sync wave must come after Cluster {prog}-db's")
    containers = pod.get("containers", [])
    if not check(len(containers) == 1, f"{w} should have exactly one container"):
        return
    jc = containers[0]
    check(jc.get("image") == dep_c.get("image"),
          f"{w} runs image {jc.get('image')}, expected the Deployment's {dep_c.get('image')}")
    cmd = jc.get("command") or []
    check(not cmd or cmd[0].endswith(f"aftercare-{prog}"),
          f"{w} must run the image's aftercare-{prog} (command {cmd})")
    jenv = container_env(objs, jc, f"{where} Job {name}")
    for n in sorted(jenv):
        if n.startswith("AFTERCARE_"):
            check(n in facts["reads"][prog], f"{w} sets {n}, which {prog} does not read")
    check(jenv.get("AFTERCARE_MIGRATE_ONLY") == "1", f"{w} must set AFTERCARE_MIGRATE_ONLY=1")
    jsrc = env_source(jc, "AFTERCARE_DB_URL").get("secretKeyRef", {})
    check(jsrc.get("name") == f"{prog}-db-app" and jsrc.get("key") == "uri",
          f"{w} must read AFTERCARE_DB_URL from Secret {prog}-db-app key uri")
    for n, v in sorted(dep_env.items()):
        if n.startswith("AFTERCARE_") and n not in NOT_NEEDED_TO_MIGRATE:
            check(n in jenv and jenv[n] == v,
                  f"{w}: {n} differs from Deployment {prog} ({jenv.get(n)!r} vs {v!r})")
    res = jc.get("resources", {})
    for kind in ("requests", "limits"):
        for r in ("cpu", "memory"):
            check(r in res.get(kind, {}), f"{w} has no {kind}.{r}")
    psc, dsc = pod.get("securityContext", {}), dep["spec"]["template"]["spec"].get("securityContext", {})
    check(psc.get("runAsNonRoot") is True, f"{w} must run as non-root")
    check(all(psc.get(k) == dsc.get(k) for k in ("runAsUser", "runAsGroup")),
          f"{w} must run as the Deployment's user ({dsc.get('runAsUser')}:{dsc.get('runAsGroup')})")
    csc = jc.get("securityContext", {})
    check(csc.get("allowPrivilegeEscalation") is False and csc.get("readOnlyRootFilesystem") is True,
          f"{w}: container must disallow privilege escalation and have a read-only root")

    # Labels: default-deny and its database, but not the Deployment's pods nor a Kafka client.
    check(labels.get("app.kubernetes.io/part-of") == "aftercare",
          f"{w} pods lack app.kubernetes.io/part-of=aftercare (default deny)")
    check(labels.get("aftercare.io/database") == prog, f"{w} pods need aftercare.io/database={prog}")
    check(labels.get("app.kubernetes.io/component") != "service"
          and labels.get("aftercare.io/kafka-client") != "true",
          f"{w} pods must not carry component=service or kafka-client=true (gRPC, Kafka)")
    check(not selects(dep["spec"].get("selector", {}).get("matchLabels"), labels),
          f"{w} pods match Deployment {prog}'s selector")

    # NetworkPolicies: egress to DNS and its own database only, no ingress; the database admits it.
    pols = [o for o in objs if o.get("kind") == "NetworkPolicy"]
    db_pod = {"cnpg.io/cluster": f"{prog}-db"}
    reaches_db = False
    for p in policies_for(pols, labels, "Egress"):
        for rule in p["spec"].get("egress", []):
            peers = rule.get("to")
            if not check(peers, f"{w}: NetworkPolicy {p['metadata']['name']} lets it reach anything"):
                continue
            for peer in peers:
                ns = peer.get("namespaceSelector", {}).get("matchLabels", {})
                pods = peer.get("podSelector", {}).get("matchLabels")
                dns = ns == {"kubernetes.io/metadata.name": "kube-system"} and \
                    pods == {"k8s-app": "kube-dns"}
                own_db = "namespaceSelector" not in peer and pods == db_pod
                check(dns or own_db, f"{w}: NetworkPolicy {p['metadata']['name']} lets it reach "
                      f"{peer}, not only DNS and {prog}-db")
                reaches_db |= own_db and 5432 in rule_ports(rule)
    check(reaches_db, f"{w}: no NetworkPolicy lets it reach {prog}-db on 5432")
    for p in policies_for(pols, labels, "Ingress"):
        check(not p["spec"].get("ingress"),
              f"{w}: NetworkPolicy {p['metadata']['name']} admits traffic to it")
    check(any(selects(peer.get("podSelector", {}).get("matchLabels"), labels)
              and "namespaceSelector" not in peer
              and (5432 in rule_ports(rule) or "any" in rule_ports(rule))
              for p in policies_for(pols, db_pod, "Ingress")
              for rule in p["spec"].get("ingress", []) for peer in rule.get("from", [])),
          f"{w}: no NetworkPolicy lets it into {prog}-db on 5432")


def check_k8s(facts, objs, where, is_base):
    services, programs = facts["services"], facts["programs"]
    grpc_ports = {}
    kafka = [o for o in objs if o.get("kind") == "Kafka"]
    check(len(kafka) == 1, f"{where}: expected exactly one Strimzi Kafka resource")
    kafka_name = kafka[0]["metadata"]["name"] if kafka else None

    for prog in programs:
        dep = find(objs, "Deployment", prog)
        svc = find(objs, "Service", prog)
        if not check(dep is not None, f"{where}: no Deployment {prog}"):
            continue
        check(svc is not None, f"{where}: no Service {prog}")
        tmpl = dep["spec"]["template"]
        labels = tmpl.get("metadata", {}).get("labels", {})
        check(labels.get("app.kubernetes.io/part-of") == "aftercare",
              f"{where}: Deployment {prog} pods lack app.kubernetes.io/part-of=aftercare "
              "(the default-deny NetworkPolicy selects on it)")
        sel = dep["spec"].get("selector", {}).get("matchLabels", {})
        check(sel and all(labels.get(k) == v for k, v in sel.items()),
              f"{where}: Deployment {prog} selector does not match its pod labels")
        if svc is not None:
            check(all(labels.get(k) == v for k, v in svc["spec"].get("selector", {}).items())
                  and svc["spec"].get("selector"),
                  f"{where}: Service {prog} selector does not select the {prog} pods")
        containers = tmpl["spec"].get("containers", [])
        main = [c for c in containers if c.get("name") == prog]
        if not check(len(main) == 1, f"{where}: Deployment {prog} has no container named {prog}"):
            continue
        c = main[0]
        check(c.get("image", "").split(":")[0].endswith(f"aftercare/{prog}"),
              f"{where}: Deployment {prog} runs image {c.get('image')}, expected .../aftercare/{prog}")
        for probe in ("readinessProbe", "livenessProbe"):
            check(probe in c, f"{where}: Deployment {prog} has no {probe}")
        res = c.get("resources", {})
        for kind in ("requests", "limits"):
            for r in ("cpu", "memory"):
                check(r in res.get(kind, {}), f"{where}: Deployment {prog} has no {kind}.{r}")
        check(tmpl["spec"].get("securityContext", {}).get("runAsNonRoot") is True,
              f"{where}: Deployment {prog} must run as non-root")
        env = check_program_env(facts, prog, container_env(objs, c, f"{where} Deployment {prog}"),
                                f"{where} Deployment {prog}")
        svc_ports = {p.get("name"): p for p in (svc or {}).get("spec", {}).get("ports", [])}
        if prog == "gateway":
            http = env.get("AFTERCARE_HTTP_PORT", "8080")
            check(str(port_of(c, "http")) == str(http),
                  f"{where}: gateway containerPort http != AFTERCARE_HTTP_PORT ({http})")
            check("http" in svc_ports, f"{where}: Service gateway has no port named http")
            # The admin listener (/metrics, /healthz, issue 22): on the pod for probes and
            # Prometheus, never in the Service (so no Ingress can route it).
            admin = int(env.get("AFTERCARE_GATEWAY_ADMIN_PORT") or 9100)
            check(port_of(c, "admin") == admin,
                  f"{where}: gateway containerPort admin != AFTERCARE_GATEWAY_ADMIN_PORT ({admin})")
            check(all(p.get("port") != admin and p.get("targetPort") not in ("admin", admin)
                      for p in svc_ports.values()),
                  f"{where}: Service gateway exposes the admin port {admin} (the Ingress could "
                  "route /metrics and /healthz to the public)")
            for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/livez")):
                get = c.get(probe, {}).get("httpGet", {})
                check(resolve_port(c, get.get("port")) == admin and get.get("path") == path,
                      f"{where}: gateway {probe} must GET {path} on the admin port")
            ann = tmpl.get("metadata", {}).get("annotations", {})
            check(str(ann.get("prometheus.io/port", admin)) == str(admin),
                  f"{where}: gateway prometheus.io/port must be the admin port {admin}")
            for ing in (o for o in objs if o.get("kind") == "Ingress"):
                for rule in ing["spec"].get("rules", []):
                    for path in rule.get("http", {}).get("paths", []):
                        port = path.get("backend", {}).get("service", {}).get("port", {})
                        check(port.get("number") != admin and port.get("name") != "admin",
                              f"{where}: Ingress {ing['metadata']['name']} routes the gateway's "
                              "admin port")
            src = env_source(c, "AFTERCARE_JWT_SECRET")
            check("secretKeyRef" in src,
                  f"{where}: gateway AFTERCARE_JWT_SECRET must come from a Secret (secretKeyRef)")
            if "secretKeyRef" in src:
                sec = find(objs, "Secret", src["secretKeyRef"]["name"])
                if not is_base and check(sec is not None, f"{where}: Secret "
                                         f"{src['secretKeyRef']['name']} is not generated"):
                    check(src["secretKeyRef"]["key"] in sec.get("data", {}),
                          f"{where}: Secret {src['secretKeyRef']['name']} has no key "
                          f"{src['secretKeyRef']['key']}")
                    check_program_env(facts, "gateway", {**env, **{k: None for k in sec["data"]}},
                                      f"{where} Secret {src['secretKeyRef']['name']}")
            continue
        # services
        _, grpc = host_port(env.get("AFTERCARE_GRPC_ADDR") or ":")
        _, metrics = host_port(env.get("AFTERCARE_METRICS_ADDR") or ":")
        grpc_ports[prog] = grpc
        check(port_of(c, "grpc") == grpc,
              f"{where}: {prog} containerPort grpc ({port_of(c, 'grpc')}) != AFTERCARE_GRPC_ADDR port ({grpc})")
        check(port_of(c, "metrics") == metrics,
              f"{where}: {prog} containerPort metrics != AFTERCARE_METRICS_ADDR port ({metrics})")
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            p = c.get(probe, {})
            if "grpc" in p:
                check(p["grpc"].get("port") == grpc, f"{where}: {prog} {probe} gRPC port != {grpc}")
            if "httpGet" in p:
                check(resolve_port(c, p["httpGet"].get("port")) == metrics
                      and p["httpGet"].get("path") == "/readyz",
                      f"{where}: {prog} {probe} must GET /readyz on the metrics port (/healthz "
                      "is 503 during a Kafka outage, when the API must keep serving)")
        check("grpc" in c.get("livenessProbe", {}) or "grpc" in c.get("readinessProbe", {}),
              f"{where}: {prog} should use the gRPC health service in a probe")
        if svc is not None:
            check(svc_ports.get("grpc", {}).get("port") == grpc,
                  f"{where}: Service {prog} port grpc != {grpc}")
        src = env_source(c, "AFTERCARE_DB_URL").get("secretKeyRef", {})
        check(src.get("name") == f"{prog}-db-app" and src.get("key") == "uri",
              f"{where}: {prog} AFTERCARE_DB_URL must come from Secret {prog}-db-app key uri "
              "(created by CloudNativePG)")
        cluster = find(objs, "Cluster", f"{prog}-db")
        if check(cluster is not None, f"{where}: no CloudNativePG Cluster {prog}-db"):
            initdb = cluster["spec"].get("bootstrap", {}).get("initdb", {})
            check(initdb.get("database") == f"aftercare_{prog}",
                  f"{where}: Cluster {prog}-db must create database aftercare_{prog}")
            check(cluster.get("metadata", {}).get("labels", {}).get("app.kubernetes.io/part-of")
                  != "aftercare", f"{where}: Cluster {prog}-db must not carry part-of=aftercare")
        boot = env.get("AFTERCARE_KAFKA_BOOTSTRAP") or ""
        check(kafka_name and all(h.startswith(f"{kafka_name}-kafka-bootstrap")
                                 for h in boot.split(",")),
              f"{where}: {prog} AFTERCARE_KAFKA_BOOTSTRAP={boot} is not the bootstrap of Kafka "
              f"{kafka_name}")
        check("AFTERCARE_MIGRATE_ONLY" not in env,
              f"{where}: Deployment {prog} must not set AFTERCARE_MIGRATE_ONLY (its pods would exit)")
        job = find(objs, "Job", f"{prog}-migrate")
        if check(job is not None, f"{where}: no migration Job {prog}-migrate"):
            check_migrate_job(facts, objs, where, prog, job, dep, c, env, cluster)

    # gRPC load spreading (issue 22): every service's Service is headless (DNS lists each ready
    # pod, so a round_robin channel reaches all replicas; a ClusterIP is one backend to gRPC), and
    # whoever calls a service dials dns:///<service>.<namespace>.svc:<grpc port> (the base, which
    # has no namespace of its own, is read as the production namespace aftercare).
    namespace = next((o["metadata"]["namespace"] for o in objs
                      if o.get("kind") == "Deployment" and o["metadata"].get("namespace")),
                     "aftercare")
    for s in services:
        svc = find(objs, "Service", s)
        if svc is not None:
            check(svc["spec"].get("clusterIP") == "None" and svc["spec"].get("type", "ClusterIP")
                  == "ClusterIP", f"{where}: Service {s} must be headless (clusterIP: None) so "
                  "gRPC's round_robin sees every pod")

    def check_target(caller, env, s):
        value = env.get(f"AFTERCARE_{s.upper()}_ADDR") or ""
        expected = f"dns:///{s}.{namespace}.svc:{grpc_ports.get(s)}"
        check(value == expected, f"{where}: {caller} AFTERCARE_{s.upper()}_ADDR={value}, expected "
              f"{expected} (the headless Service in this namespace, gRPC port)")

    gw = find(objs, "Deployment", "gateway")
    if gw is not None:
        c = gw["spec"]["template"]["spec"]["containers"][0]
        env = container_env(objs, c, where)
        for s in services:
            check_target("gateway", env, s)
        redis = (env.get("AFTERCARE_REDIS_ADDR") or "").split(":")[0]
        check(find(objs, "Service", redis) is not None,
              f"{where}: AFTERCARE_REDIS_ADDR points at {redis}, which is no Service here")
    for prog in services:
        dep = find(objs, "Deployment", prog)
        if dep is None:
            continue
        env = container_env(objs, dep["spec"]["template"]["spec"]["containers"][0], where)
        for s in services:
            if f"AFTERCARE_{s.upper()}_ADDR" in env:
                check_target(prog, env, s)

    for kind in ("HorizontalPodAutoscaler", "PodDisruptionBudget"):
        for prog in programs:
            o = find(objs, kind, prog)
            if check(o is not None, f"{where}: no {kind} {prog}") and kind == "HorizontalPodAutoscaler":
                check(o["spec"]["scaleTargetRef"].get("name") == prog,
                      f"{where}: HPA {prog} scales {o['spec']['scaleTargetRef'].get('name')}")
                check(1 <= o["spec"].get("minReplicas", 1) <= o["spec"]["maxReplicas"],
                      f"{where}: HPA {prog} min/max replicas are inconsistent")

    # Topics.
    ktopics = [o for o in objs if o.get("kind") == "KafkaTopic"]
    names = {o["spec"].get("topicName", o["metadata"]["name"]) for o in ktopics}
    for t in sorted(facts["topics"] - names):
        fail(f"{where}: no KafkaTopic for {t}, which the code uses")
    for t in sorted(names - facts["topics"]):
        fail(f"{where}: KafkaTopic {t} is not a topic the code uses")
    for o in ktopics:
        n = o["spec"].get("topicName", o["metadata"]["name"])
        cfg = o["spec"].get("config") or {}
        check_retention(facts, f"{where}: KafkaTopic {n}", n, cfg.get("retention.ms"),
                        cfg.get("segment.ms"))
        check(o["spec"].get("replicas") == 3, f"{where}: KafkaTopic {n} must have replicas 3")
        check(str(o["spec"].get("config", {}).get("min.insync.replicas")) == "2",
              f"{where}: KafkaTopic {n} must have min.insync.replicas 2")
        check(isinstance(o["spec"].get("partitions"), int) and o["spec"]["partitions"] >= 1,
              f"{where}: KafkaTopic {n} needs partitions")
        check(o["metadata"].get("labels", {}).get("strimzi.io/cluster") == kafka_name,
              f"{where}: KafkaTopic {n} is not labelled strimzi.io/cluster={kafka_name}")
    for o in kafka:
        check(o.get("metadata", {}).get("labels", {}).get("app.kubernetes.io/part-of") != "aftercare",
              f"{where}: the Kafka resource must not carry part-of=aftercare (Strimzi copies it "
              "to the broker pods, which the default-deny policy would then isolate)")

    # NetworkPolicies: only the gateway may be reached from anywhere.
    pols = [o for o in objs if o.get("kind") == "NetworkPolicy"]
    check(any(p["spec"].get("podSelector", {}).get("matchLabels", {}) ==
              {"app.kubernetes.io/part-of": "aftercare"}
              and set(p["spec"].get("policyTypes", [])) == {"Ingress", "Egress"}
              and not p["spec"].get("ingress") and not p["spec"].get("egress") for p in pols),
          f"{where}: no default-deny NetworkPolicy for app.kubernetes.io/part-of=aftercare")
    for p in pols:
        for rule in p["spec"].get("ingress", []):
            if not rule.get("from"):
                check(p["spec"].get("podSelector", {}).get("matchLabels") ==
                      {"app.kubernetes.io/name": "gateway"},
                      f"{where}: NetworkPolicy {p['metadata']['name']} opens pods other than the "
                      "gateway to any source")


def check_k8s_tree(facts):
    k8s = os.path.join(ROOT, "deploy", "k8s")
    for f in all_yaml_files(k8s):
        check(load_yaml_docs(f) or os.path.getsize(f) == 0, f"{rel(f)}: empty YAML")
    for dirpath, _, names in os.walk(k8s):
        for n in names:
            if n.endswith(".env") or n.endswith(".env.example"):
                parse_env_file(os.path.join(dirpath, n))
    base = render(os.path.join(k8s, "base"))
    check_k8s(facts, base, "deploy/k8s/base", is_base=True)
    overlays = os.path.join(k8s, "overlays")
    found = sorted(d for d in os.listdir(overlays) if os.path.isdir(os.path.join(overlays, d)))
    check({"staging", "production"} <= set(found), "deploy/k8s/overlays: need staging and production")
    for o in found:
        objs = render(os.path.join(overlays, o))
        check_k8s(facts, objs, f"deploy/k8s/overlays/{o}", is_base=False)
        ns = [x for x in objs if x.get("kind") == "Namespace"]
        check(len(ns) == 1, f"deploy/k8s/overlays/{o}: should create its Namespace")
    comps = os.path.join(k8s, "components")
    if os.path.isdir(comps):
        for c in sorted(os.listdir(comps)):
            render(os.path.join(comps, c), component=True)


# ---------------------------------------------------------------------------------------------
# Docker Compose
# ---------------------------------------------------------------------------------------------

DAY_MS = 86_400_000


def retention_constants():
    """The event-retention numbers of services/common/retention.h (the one place they are set)."""
    text = read(os.path.join(ROOT, "services", "common", "retention.h"))
    found = dict(re.findall(r"constexpr int (k[A-Za-z]+Days) = (\d+);", text))
    want = ("kTopicRetentionDays", "kTopicSegmentDays", "kInboxRetentionDays", "kOutboxReplayDays")
    missing = [k for k in want if k not in found and k != "kOutboxReplayDays"]
    if missing:
        fail(f"services/common/retention.h: no {', '.join(missing)}")
        return None
    return {k: int(v) for k, v in found.items()}


def check_retention(facts, where, topic, retention_ms, segment_ms):
    """Event topics keep exactly what retention.h says, and an event a topic can still hold
    (retention + segment roll) is younger than the oldest inbox id the consumers remember, so a
    consumer rewound to the earliest offset never applies an event twice. Dead-letter topics are
    read by people, not by consumers: they only need a segment roll below their retention."""
    r = facts.get("retention")
    if r is None:
        return
    ok = isinstance(retention_ms, int) and isinstance(segment_ms, int)
    check(ok, f"{where}: needs integer retention.ms and segment.ms")
    if not ok:
        return
    check(segment_ms < retention_ms, f"{where}: segment.ms must be below retention.ms")
    if topic.endswith(".dlq"):
        return
    check(retention_ms == r["kTopicRetentionDays"] * DAY_MS,
          f"{where}: retention.ms {retention_ms}, retention.h says {r['kTopicRetentionDays']} days")
    check(segment_ms == r["kTopicSegmentDays"] * DAY_MS,
          f"{where}: segment.ms {segment_ms}, retention.h says {r['kTopicSegmentDays']} days")
    check(r["kInboxRetentionDays"] * DAY_MS > retention_ms + segment_ms,
          f"{where}: inbox ids ({r['kInboxRetentionDays']} days) must outlive retention + segment "
          f"roll ({(retention_ms + segment_ms) / DAY_MS:g} days)")


def check_compose(facts):
    cdir = os.path.join(ROOT, "deploy", "compose")
    path = os.path.join(cdir, "docker-compose.yaml")
    if not check(os.path.isfile(path), "deploy/compose/docker-compose.yaml is missing"):
        return
    for f in all_yaml_files(cdir):
        load_yaml_docs(f)
    docs = load_yaml_docs(path)
    if not docs:
        return
    services = docs[0].get("services", {})
    where = "deploy/compose/docker-compose.yaml"
    grpc_ports = {}
    for prog in facts["programs"]:
        s = services.get(prog)
        if not check(s is not None, f"{where}: no service {prog}"):
            continue
        check(s.get("build", {}).get("target") == prog,
              f"{where}: {prog} must build deploy/docker/Dockerfile --target {prog}")
        check("healthcheck" in s, f"{where}: {prog} has no healthcheck")
        check("limits" in s.get("deploy", {}).get("resources", {}), f"{where}: {prog} has no limits")
        env = {k: (None if v is None else str(v)) for k, v in (s.get("environment") or {}).items()}
        for ef in s.get("env_file", []):
            env.update(env_file_or_example(os.path.join(cdir, ef), f"{where} {prog}"))
        check_program_env(facts, prog, env, f"{where} {prog}")
        if prog != "gateway":
            check(s.get("deploy", {}).get("replicas", 1) >= 2, f"{where}: {prog} should run 2 replicas")
            grpc_ports[prog] = host_port(env.get("AFTERCARE_GRPC_ADDR") or ":")[1]
            deps = s.get("depends_on", {})
            check(deps.get("postgres", {}).get("condition") == "service_healthy"
                  and deps.get("topic-init", {}).get("condition") == "service_completed_successfully",
                  f"{where}: {prog} must wait for postgres (healthy) and topic-init (completed)")
            check("AFTERCARE_MIGRATE_ONLY" not in env,
                  f"{where}: {prog} must not set AFTERCARE_MIGRATE_ONLY (it would exit)")
            mname = f"{prog}-migrate"
            m = services.get(mname)
            if check(m is not None, f"{where}: no one-shot service {mname}"):
                check(deps.get(mname, {}).get("condition") == "service_completed_successfully",
                      f"{where}: {prog} must wait for {mname} (service_completed_successfully)")
                check(m.get("image") == s.get("image")
                      and m.get("build", {}).get("target") == prog,
                      f"{where}: {mname} must run {prog}'s image (same image, --target {prog})")
                menv = {k: (None if v is None else str(v))
                        for k, v in (m.get("environment") or {}).items()}
                for ef in m.get("env_file", []):
                    menv.update(env_file_or_example(os.path.join(cdir, ef), f"{where} {mname}"))
                for n in sorted(menv):
                    if n.startswith("AFTERCARE_"):
                        check(n in facts["reads"][prog], f"{where}: {mname} sets {n}, which "
                              f"{prog} does not read")
                check(menv.get("AFTERCARE_MIGRATE_ONLY") == "1",
                      f"{where}: {mname} must set AFTERCARE_MIGRATE_ONLY=1")
                check("AFTERCARE_DB_URL" in menv and menv["AFTERCARE_DB_URL"] == env.get("AFTERCARE_DB_URL"),
                      f"{where}: {mname} must use {prog}'s AFTERCARE_DB_URL")
                check(str(m.get("restart", "no")) == "no", f"{where}: {mname} must not restart")
                check(m.get("depends_on", {}).get("postgres", {}).get("condition") == "service_healthy",
                      f"{where}: {mname} must wait for postgres (healthy)")
                check("limits" in m.get("deploy", {}).get("resources", {}),
                      f"{where}: {mname} has no limits")
            boot = env.get("AFTERCARE_KAFKA_BOOTSTRAP") or ""
            for h in boot.split(","):
                check(h.split(":")[0] in services, f"{where}: {prog} bootstrap host {h} is no service")
        else:
            for svc in facts["services"]:
                v = env.get(f"AFTERCARE_{svc.upper()}_ADDR") or ""
                check(v == f"{svc}:{grpc_ports.get(svc)}",
                      f"{where}: gateway AFTERCARE_{svc.upper()}_ADDR={v}, expected {svc}:{grpc_ports.get(svc)}")
            check((env.get("AFTERCARE_REDIS_ADDR") or ":").split(":")[0] in services,
                  f"{where}: gateway AFTERCARE_REDIS_ADDR is no compose service")
    brokers = [n for n, s in services.items() if "apache/kafka" in str(s.get("image", ""))
               and "KAFKA_NODE_ID" in (s.get("environment") or {})]
    check(len(brokers) == 3, f"{where}: expected 3 Kafka brokers (apache/kafka, KRaft), got {brokers}")
    for b in brokers:
        env = services[b]["environment"]
        check("controller" in str(env.get("KAFKA_PROCESS_ROLES", "")),
              f"{where}: {b} is not a KRaft controller")
    init = services.get("topic-init", {})
    env = init.get("environment") or {}
    specs = str(env.get("TOPICS", "")).split()
    listed = {s.split(":")[0] for s in specs}
    for t in sorted(facts["topics"] - listed):
        fail(f"{where}: topic-init does not create {t}, which the code uses")
    for t in sorted(listed - facts["topics"]):
        fail(f"{where}: topic-init creates {t}, which the code does not use")
    for s in specs:
        ok = re.fullmatch(r"[a-z0-9.]+:[1-9][0-9]*:[0-9]+:[0-9]+", s) is not None
        check(ok, f"{where}: topic-init TOPICS entry {s!r} is not "
                  "name:partitions:retention_ms:segment_ms")
        if ok:
            name, _, retention, segment = s.split(":")
            check_retention(facts, f"{where}: topic-init {name}", name, int(retention), int(segment))
    check(str(env.get("REPLICATION_FACTOR")) == "3" and str(env.get("MIN_INSYNC_REPLICAS")) == "2",
          f"{where}: topic-init must use replication factor 3 and min.insync.replicas 2")
    for n in ("postgres", "redis"):
        check(n in services and "healthcheck" in services[n], f"{where}: {n} needs a healthcheck")


# ---------------------------------------------------------------------------------------------
# Dockerfile
# ---------------------------------------------------------------------------------------------

TEST_ONLY_DEV = {"libgtest-dev", "libgmock-dev", "libbenchmark-dev", "libclang-rt-14-dev"}  # tests and fuzzing only


def check_dockerfile(facts):
    path = os.path.join(ROOT, "deploy", "docker", "Dockerfile")
    if not check(os.path.isfile(path), "deploy/docker/Dockerfile is missing"):
        return
    text = read(path)
    stages = re.split(r"(?m)^FROM\s+", text)
    by_name = {}
    for st in stages[1:]:
        m = re.match(r"\S+\s+AS\s+(\S+)", st, re.I)
        if m:
            by_name[m.group(1)] = st
    for prog in facts["programs"]:
        st = by_name.get(prog)
        if not check(st is not None, f"Dockerfile: no target {prog}"):
            continue
        check(re.search(rf'ENTRYPOINT\s*\[\s*"[^"]*aftercare-{prog}"', st) is not None,
              f"Dockerfile: target {prog} must run aftercare-{prog}")
        check("HEALTHCHECK" in st, f"Dockerfile: target {prog} has no HEALTHCHECK")
        env = {}
        for line in re.findall(r"(?m)^ENV\s+(.*)$", st + by_name.get("runtime", "")):
            for k, v in re.findall(r"(AFTERCARE_[A-Z0-9_]+)=(\S+)", line):
                env[k] = v
        for k in env:
            check(k in facts["reads"][prog], f"Dockerfile: target {prog} sets {k}, which it does not read")
    runtime = by_name.get("runtime", "")
    check(re.search(r"(?m)^USER\s+(?!0\b|root\b)\S+", runtime) is not None,
          "Dockerfile: the runtime stage must switch to a non-root USER")
    lib = read(os.path.join(ROOT, "deploy", "local", "lib.sh"))
    m = re.search(r"AC_PACKAGES=\(([^)]*)\)", lib)
    if check(m is not None, "deploy/local/lib.sh: AC_PACKAGES not found"):
        pkgs = re.sub(r"#.*", "", m.group(1)).split()
        build = by_name.get("build", "")
        for p in pkgs:
            if p.endswith("-dev") and p not in TEST_ONLY_DEV:
                check(re.search(rf"(?<![\w.+-]){re.escape(p)}(?![\w.+-])", build) is not None,
                      f"Dockerfile: build stage does not install {p} (deploy/local/lib.sh has it)")


# ---------------------------------------------------------------------------------------------
# Documentation
# ---------------------------------------------------------------------------------------------

def check_docs(facts):
    path = os.path.join(ROOT, "docs", "operations.md")
    if not check(os.path.isfile(path), "docs/operations.md is missing"):
        return
    text = read(path)
    every = set().union(*facts["reads"].values())
    for v in sorted(every):
        check(re.search(rf"\|\s*`{v}`\s*\|", text) is not None,
              f"docs/operations.md: setting {v} is not in the settings table")
    for g in sorted(facts["groups"]):
        check(f"`{g}`" in text, f"docs/operations.md: consumer group {g} is not documented")
    for t in sorted(facts["topics"]):
        check(f"`{t}`" in text or (t.endswith(".dlq") and "`<topic>.dlq`" in text),
              f"docs/operations.md: topic {t} is not documented")
    alerts = os.path.join(ROOT, "deploy", "k8s", "components", "monitoring", "alerts.yaml")
    sources = [(path, text)] + ([(alerts, read(alerts))] if os.path.isfile(alerts) else [])
    for p, t in sources:
        for name in sorted(set(re.findall(r"\baftercare_[a-z0-9_]+", t))):
            base = re.sub(r"_(bucket|sum|count)$", "", name)
            if base in {f"aftercare_{s}" for s in facts["services"]} or \
                    base.startswith(("aftercare_tables", "aftercare_db")):
                continue  # database names, PostgreSQL exporter query / ConfigMap names
            check(base in facts["metrics"], f"{rel(p)}: metric {name} is not exported by the code "
                  f"(known: {', '.join(sorted(facts['metrics']))})")


def main():
    facts = code_facts()
    facts["retention"] = retention_constants()
    check_k8s_tree(facts)
    check_compose(facts)
    check_dockerfile(facts)
    check_docs(facts)
    if ERRORS:
        for e in ERRORS:
            print(f"FAIL: {e}")
        print(f"check_manifests: {len(ERRORS)} problem(s) in {CHECKS} checks")
        return 1
    print(f"check_manifests: OK ({CHECKS} checks; programs {', '.join(facts['programs'])}; "
          f"{len(facts['topics'])} topics; {len(facts['groups'])} consumer groups)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
