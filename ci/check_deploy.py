#!/usr/bin/python3
"""Checks examples/deploy/ against the server it deploys (ci/check_deploy.sh).

Parses the Kubernetes manifests (YAML), the Dockerfile and the systemd unit,
and checks them against `protean config show` of examples/deploy/domain.toml
and the routes the health server serves: probe paths and ports, the Service's
target port, the HPA's target, the grace period against drain_timeout, the
binary path and --domain folder, and that the Dockerfile installs only
packages of ci/install_deps.sh. Prints one line per finding naming the file;
exit 1 with findings, 0 without.
"""
import json
import os
import re
import shlex
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEPLOY = os.path.join(ROOT, "examples", "deploy")
findings = []


def finding(path, message):
    findings.append(f"{os.path.relpath(path, ROOT)}: {message}")


def server_config(binary):
    env = dict(os.environ, DATABASE_URL="postgresql://check@localhost/db",
               REDIS_URL="redis://localhost:6379/0", PROTEAN_ENV="")
    out = subprocess.run([binary, "config", "show", "--domain", DEPLOY, "--format", "json"],
                         capture_output=True, text=True, env=env, timeout=30)
    if out.returncode != 0:
        sys.exit(f"check_deploy: protean config show failed: {out.stderr.strip()}")
    return json.loads(out.stdout)


def served_routes():
    source = open(os.path.join(ROOT, "app", "server", "health_http_server.cc")).read()
    return set(re.findall(r'"(/[a-z]+)"', source))


def container_port(container, port):
    if isinstance(port, int):
        return port
    for p in container.get("ports", []):
        if p.get("name") == port:
            return p.get("containerPort")
    return None


def check_probe(path, container, kind, want_path, health_port, routes):
    probe = container.get(kind)
    if not probe or "httpGet" not in probe:
        finding(path, f"container {container.get('name')}: no {kind} httpGet")
        return
    get = probe["httpGet"]
    if get.get("path") != want_path:
        finding(path, f"{kind} path {get.get('path')!r}, expected {want_path}")
    if get.get("path") not in routes:
        finding(path, f"{kind} path {get.get('path')!r} is not served by the health server")
    if container_port(container, get.get("port")) != health_port:
        finding(path, f"{kind} port {get.get('port')!r} is not [server.health] port {health_port}")


def check_deployment(path, doc, config, routes):
    spec = doc["spec"]["template"]["spec"]
    health_port = config["server"]["health"]["port"]
    drain = config["server"]["drain_timeout"]
    grace = spec.get("terminationGracePeriodSeconds")
    if grace != 30:
        finding(path, f"terminationGracePeriodSeconds {grace}, expected 30")
    elif grace < drain + 5:
        finding(path, f"terminationGracePeriodSeconds {grace} < drain_timeout {drain} + 5")
    for c in spec["containers"]:
        check_probe(path, c, "livenessProbe", "/livez", health_port, routes)
        check_probe(path, c, "readinessProbe", "/readyz", health_port, routes)
        pre = c.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command", [])
        if not pre or pre[0] != "sleep":
            finding(path, f"container {c.get('name')}: no preStop sleep")
        command = c.get("command", [])
        if command[:2] != ["protean", "server"]:
            finding(path, f"container command {command} does not run `protean server`")
        if "--domain" in command and command[command.index("--domain") + 1] != "/etc/protean":
            finding(path, "--domain is not /etc/protean, where the Dockerfile puts domain.toml")
    return {p.get("name"): p.get("containerPort") for c in spec["containers"]
            for p in c.get("ports", [])}


def check_kubernetes(config, routes):
    docs = {}
    folder = os.path.join(DEPLOY, "kubernetes")
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        for doc in yaml.safe_load_all(open(path)):
            docs.setdefault(doc["kind"], []).append((path, doc))
    for kind in ("Deployment", "Service", "HorizontalPodAutoscaler"):
        if kind not in docs:
            finding(folder, f"no {kind}")
    if "Deployment" not in docs:
        return
    dpath, deployment = docs["Deployment"][0]
    ports = check_deployment(dpath, deployment, config, routes)
    health_port = config["server"]["health"]["port"]
    for path, svc in docs.get("Service", []):
        for p in svc["spec"]["ports"]:
            target = p.get("targetPort")
            if ports.get(target, target) != health_port:
                finding(path, f"targetPort {target!r} is not the health port {health_port}")
        if svc["spec"].get("selector") != deployment["spec"]["selector"]["matchLabels"]:
            finding(path, "selector does not match the Deployment's pods")
    for path, hpa in docs.get("HorizontalPodAutoscaler", []):
        ref = hpa["spec"]["scaleTargetRef"]
        if ref.get("kind") != "Deployment" or ref.get("name") != deployment["metadata"]["name"]:
            finding(path, f"scaleTargetRef {ref} is not the Deployment")


def dockerfile_instructions(path):
    text = open(path).read().replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def install_deps_packages():
    text = open(os.path.join(ROOT, "ci", "install_deps.sh")).read()
    body = text[text.index("packages=(") + len("packages=("):]
    body = body[:body.index("\n)\n")]  # the array's closing line
    return {w for line in body.splitlines() for w in line.split("#")[0].split()}


def check_dockerfile(config):
    path = os.path.join(DEPLOY, "Dockerfile")
    known = {"FROM", "RUN", "COPY", "WORKDIR", "USER", "ENV", "EXPOSE", "STOPSIGNAL", "CMD"}
    ins = dockerfile_instructions(path)
    stages = [rest for word, rest in ins if word == "FROM"]
    if not stages or not all(s.startswith("debian:12") for s in stages):
        finding(path, f"base images {stages} are not debian:12")
    build_deps = install_deps_packages()
    stage = 0
    for i, (word, rest) in enumerate(ins):
        stage += word == "FROM"
        if word not in known:
            finding(path, f"instruction {i + 1}: unknown or unexpected {word}")
        if word == "RUN" and "apt-get install" in rest and stage == 1:
            words = rest.split("apt-get install", 1)[1].split("&&")[0].split()
            for pkg in (w for w in words if not w.startswith("-")):
                if pkg not in build_deps:
                    finding(path, f"build stage installs {pkg}, not in ci/install_deps.sh")
    expose = [rest for word, rest in ins if word == "EXPOSE"]
    port = config["server"]["health"]["port"]
    if expose != [str(port)]:
        finding(path, f"EXPOSE {expose}, expected the health port {port}")
    cmds = [json.loads(rest) for word, rest in ins if word == "CMD"]
    if len(cmds) != 1 or cmds[0][:2] != ["protean", "server"]:
        finding(path, f"CMD {cmds} does not run `protean server`")
    copies = [rest.split() for word, rest in ins if word == "COPY"]
    if ["--from=build", "/src/build/app/protean", "/usr/local/bin/protean"] not in copies:
        finding(path, "the binary is not copied to /usr/local/bin/protean")
    if ["examples/deploy/domain.toml", "/etc/protean/domain.toml"] not in copies:
        finding(path, "examples/deploy/domain.toml is not copied to /etc/protean")
    if ("STOPSIGNAL", "SIGTERM") not in ins:
        finding(path, "STOPSIGNAL is not SIGTERM")


def check_systemd(config, binary):
    path = os.path.join(DEPLOY, "protean-server.service")
    service = {}
    section = None
    for line in open(path):
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
        elif line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            service[(section, key)] = value
    exec_start = shlex.split(service.get(("Service", "ExecStart"), ""))
    if exec_start[:2] != ["/usr/local/bin/protean", "server"]:
        finding(path, f"ExecStart {exec_start} is not /usr/local/bin/protean server")
    if "--domain" not in exec_start or exec_start[exec_start.index("--domain") + 1] != "/etc/protean":
        finding(path, "ExecStart --domain is not /etc/protean")
    stop = int(service.get(("Service", "TimeoutStopSec"), "0"))
    if stop < config["server"]["drain_timeout"] + 15:
        finding(path, f"TimeoutStopSec {stop} < drain_timeout + 15 s")
    if service.get(("Service", "KillSignal")) != "SIGTERM":
        finding(path, "KillSignal is not SIGTERM")
    analyze = "/usr/bin/systemd-analyze"
    if not os.path.exists(analyze):
        print("check_deploy: systemd-analyze not installed: unit parsed only")
        return
    # Verified as installed here: the binary from this build, no User (none
    # exists on a CI machine); everything else as written.
    text = open(path).read().replace("/usr/local/bin/protean", os.path.abspath(binary))
    text = re.sub(r"^(User|Group)=.*$", "", text, flags=re.M)
    tmp = os.path.join(ROOT, "ci", ".work", "protean-server.service")
    os.makedirs(os.path.dirname(tmp), exist_ok=True)
    open(tmp, "w").write(text)
    out = subprocess.run([analyze, "verify", tmp], capture_output=True, text=True, timeout=60)
    problems = [l for l in (out.stdout + out.stderr).splitlines()
                if "protean-server.service" in l]
    for line in problems:
        finding(path, f"systemd-analyze verify: {line}")
    print(f"check_deploy: systemd-analyze verify: {len(problems)} finding(s)")


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "app", "protean")
    config = server_config(binary)
    routes = served_routes()
    check_kubernetes(config, routes)
    check_dockerfile(config)
    check_systemd(config, binary)
    for f in findings:
        print(f"check_deploy: {f}")
    print(f"check_deploy: {len(findings)} finding(s)")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
