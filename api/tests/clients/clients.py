"""Drives Treeherder's own clients, unmodified, against a treeherd server holding demo data.

`thclient.TreeherderClient` (treeherder-client 5.0.0): every public read method.
`lj` (lumberjackth 1.4.0): every subcommand whose data treeherd has, with `--json`.
Each answer is checked against what GraphQL answers for the same objects. Before that, a
sheriff classifies one demo failure as intermittent with a bug imported for its error line
(the CLI's `import bugs`, a `sheriff:` token from `token issue`), so `failuresbybug/` and the
bug suggestions have something to show.

Usage: clients.py URL   (env: LJ, TREEHERD_BIN, TREEHERD_DATABASE_URL, TREEHERD_JWT_SECRET)
"""

import datetime
import functools
import http.server
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request

from thclient import TreeherderClient

URL = sys.argv[1]
LJ = os.environ["LJ"]
BIN = os.environ["TREEHERD_BIN"]
REPO = "mozilla-central"
BUG = 1900001
ran = []


def rest(path):
    with urllib.request.urlopen(URL + "/api/" + path) as response:
        return json.load(response)


def gql(query, variables=None, token=None):
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(URL + "/graphql", data=body, headers={"content-type": "application/json"})
    if token:
        request.add_header("authorization", "Bearer " + token)
    with urllib.request.urlopen(request) as response:
        answer = json.load(response)
    assert not answer.get("errors"), answer
    return answer["data"]


def lj(*args):
    command = [LJ, "--server", URL, "--json", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{' '.join(args)} exited {done.returncode}: {done.stderr}{done.stdout}"
    ran.append("lj " + " ".join(args))
    return json.loads(done.stdout)


def check(name, condition, detail=""):
    assert condition, f"{name}: {detail}"
    ran.append(name)


def treeherd(*args, stdin=None):
    done = subprocess.run([BIN, *args], input=stdin, capture_output=True, text=True, timeout=120, env=os.environ)
    assert done.returncode == 0, f"treeherd {' '.join(args)}: {done.stderr}"
    return done.stdout.strip()


# --- A sheriff's classification, so failures by bug have data -------------------------------
pushes = gql("""query($r: String!) { repository(name: $r) { pushes(first: 10) { nodes {
    pushId revision author commits { revision }
    jobs(first: 1000, filter: {unclassifiedFailure: true}) { nodes { guid name platform
      failureLines { line lineNumber search { searchTerms } } } } } } } }""", {"r": REPO})
pushes = pushes["repository"]["pushes"]["nodes"]
failure = next(
    (job, push) for push in pushes for job in push["jobs"]["nodes"]
    if job["failureLines"] and any(job["failureLines"][0]["search"]["searchTerms"])
)
failed_job, failed_push = failure
term = next(t for t in failed_job["failureLines"][0]["search"]["searchTerms"] if t)
bug = {"id": BUG, "summary": f"Intermittent {term} | tracking bug", "status": "NEW", "resolution": "",
       "dupe_of": None, "cf_crash_signature": "", "keywords": ["intermittent-failure"],
       "last_change_time": "2026-12-01 00:00:00", "whiteboard": ""}
treeherd("import", "bugs", "-", stdin=json.dumps({"bugs": [bug]}))
sheriff = treeherd("token", "issue", "--subject", "clients", "--scope", f"sheriff:{REPO}",
                   "--jwt-secret", os.environ["TREEHERD_JWT_SECRET"])
gql("""mutation($g: String!, $b: Int!) { classifyJobs(input: {jobs: [$g], classification: INTERMITTENT,
    bugs: [$b]}) { jobs { guid } } }""", {"g": failed_job["guid"], "b": BUG}, token=sheriff)

# --- treeherder-client ----------------------------------------------------------------------
client = TreeherderClient(server_url=URL)

repositories = gql("{ repositories { name vcs url } }")["repositories"]
got = client.get_repositories()
check("TreeherderClient.get_repositories", sorted(r["name"] for r in got) == sorted(r["name"] for r in repositories), got)
by_name = {r["name"]: r for r in got}
for r in repositories:
    check(f"get_repositories {r['name']} url and dvcs_type",
          by_name[r["name"]]["url"] == r["url"] and by_name[r["name"]]["dvcs_type"] == r["vcs"].lower())

hashes = client.get_option_collection_hash()
check("TreeherderClient.get_option_collection_hash", hashes["102210fe594ee9b33d82058545b1ed14f4c8206e"] == [{"name": "opt"}], hashes)

classifications = client.get_failure_classifications()
check("TreeherderClient.get_failure_classifications",
      [c["name"] for c in classifications][:4] == ["not classified", "fixed by commit", "expected fail", "intermittent"]
      and len(classifications) == 8, classifications)

gql_pushes = gql("""query($r: String!) { repository(name: $r) { pushes(first: 10) { nodes {
    pushId revision author commits { revision } } } } }""", {"r": REPO})["repository"]["pushes"]["nodes"]
th_pushes = client.get_pushes(REPO)
check("TreeherderClient.get_pushes (Treeherder's default 10)",
      [p["revision"] for p in th_pushes] == [p["revision"] for p in gql_pushes], th_pushes)
check("get_pushes revisions are the push's commits",
      all(sorted(c["revision"] for c in t["revisions"]) == sorted(c["revision"] for c in g["commits"])
          for t, g in zip(th_pushes, gql_pushes)))
one = client.get_pushes(REPO, revision=gql_pushes[3]["revision"])
check("TreeherderClient.get_pushes(revision=)", [p["revision"] for p in one] == [gql_pushes[3]["revision"]], one)
check("TreeherderClient.get_pushes(author=, count=)",
      all(p["author"] == gql_pushes[0]["author"] for p in client.get_pushes(REPO, author=gql_pushes[0]["author"], count=5)))

push_id = next(p["id"] for p in th_pushes if p["revision"] == failed_push["revision"])
gql_jobs = gql("""query($r: String!, $v: String!) { push(repository: $r, revision: $v) {
    jobs(first: 1000) { nodes { guid name state result tier platform } } } }""",
               {"r": REPO, "v": failed_push["revision"]})["push"]["jobs"]["nodes"]
th_jobs = client.get_jobs(REPO, push_id=push_id, count=2000)
check("TreeherderClient.get_jobs(push_id=, count=2000)",
      sorted(j["job_guid"] for j in th_jobs) == sorted(j["guid"] for j in gql_jobs), (len(th_jobs), len(gql_jobs)))
by_guid = {j["guid"]: j for j in gql_jobs}
check("get_jobs fields as GraphQL has them", all(
    j["job_type_name"] == by_guid[j["job_guid"]]["name"]
    and j["state"] == by_guid[j["job_guid"]]["state"].lower()
    and j["result"] == by_guid[j["job_guid"]]["result"].lower()
    and j["tier"] == by_guid[j["job_guid"]]["tier"]
    and j["push_id"] == push_id
    for j in th_jobs))
paged = client.get_jobs(REPO, push_id=push_id, count=2500)
check("TreeherderClient.get_jobs(count=2500) pages by offset", sorted(j["id"] for j in paged) == sorted(j["id"] for j in th_jobs))
classified = client.get_jobs(REPO, job_guid=failed_job["guid"])
check("get_jobs(job_guid=) carries the sheriff's classification",
      len(classified) == 1 and classified[0]["failure_classification_id"] == 4, classified)
job_id = classified[0]["id"]


# A raw log with PERFHERDER_DATA on a successful job of the push, served from examples/.
examples = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "examples")
class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


handler = functools.partial(Quiet, directory=examples)
files = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
threading.Thread(target=files.serve_forever, daemon=True).start()
ok_job = next(j for j in gql_jobs if j["result"] == "SUCCESS" and j["platform"])
writer = treeherd("token", "issue", "--subject", "clients", "--scope", f"write:{REPO}",
                  "--jwt-secret", os.environ["TREEHERD_JWT_SECRET"])
log_url = f"http://127.0.0.1:{files.server_address[1]}/live_backing.log"
gql("""mutation($g: String!, $u: String!) { attachArtifacts(job: $g, artifacts: [
    {name: "perf.log", kind: RAW_LOG, url: $u}]) { __typename } }""", {"g": ok_job["guid"], "u": log_url}, token=writer)
series = []
for _ in range(600):
    series = gql("""query($r: String!, $p: String!) { perfSeries(repository: $r, framework: "awsy",
        suite: "Base Content JS", platform: $p) { pushId revision value } }""", {"r": REPO, "p": ok_job["platform"]})["perfSeries"]
    if series:
        break
    time.sleep(0.1)
check("the attached log was parsed (GraphQL perfSeries)", series, series)

ok_id = client.get_jobs(REPO, job_guid=ok_job["guid"])[0]["id"]
details = client.get_job_details(job_id=ok_id)
artifacts = gql("query($g: String!) { job(guid: $g) { artifacts { name url } } }", {"g": ok_job["guid"]})
check("TreeherderClient.get_job_details(job_id=) lists the attached artifact as GraphQL does",
      [(d["value"], d["url"]) for d in details] == [(a["name"], a["url"]) for a in artifacts["job"]["artifacts"]]
      and ("perf.log", log_url) in [(d["value"], d["url"]) for d in details], details)
check("TreeherderClient.get_job_details(job_guid=)",
      client.get_job_details(job_guid=ok_job["guid"]) == details)
signatures = rest(f"project/{REPO}/performance/signatures/?framework=4")
awsy = [s for s in signatures.values() if s["suite"] == "Base Content JS" and s["machine_platform"] == ok_job["platform"]]
check("performance/signatures/?framework=4: the awsy series", len(awsy) == 1 and awsy[0]["framework_id"] == 4, signatures)
data = rest(f"project/{REPO}/performance/data/?signature_id={awsy[0]['id']}")
values = data[awsy[0]["signature_hash"]]
check("performance/data/?signature_id=: the values GraphQL has",
      [(v["revision"], v["value"]) for v in values] == [(p["revision"], p["value"]) for p in series], (values, series))

logs = client.get_job_log_url(REPO, job_id=job_id)
gql_logs = gql("query($g: String!) { job(guid: $g) { logs { name } } }", {"g": failed_job["guid"]})["job"]["logs"]
check("TreeherderClient.get_job_log_url(job_id=)",
      sorted(l["name"] for l in logs) == sorted(l["name"] for l in gql_logs) and all(l["job_id"] == job_id for l in logs), logs)

# --- lumberjackth's lj ----------------------------------------------------------------------
repos = lj("repos")
check("lj repos: every repository", sorted(r["name"] for r in repos) == sorted(r["name"] for r in repositories))
lj_pushes = lj("pushes", REPO, "-n", "5")
check("lj pushes: the newest five as GraphQL", [p["revision"] for p in lj_pushes] == [p["revision"] for p in gql_pushes[:5]])
lj_one = lj("pushes", REPO, "-r", failed_push["revision"])
check("lj pushes -r", [p["id"] for p in lj_one] == [push_id])
lj_jobs = lj("jobs", REPO, "--push-id", str(push_id))
check("lj jobs --push-id: every job of the push", sorted(j["job_guid"] for j in lj_jobs) == sorted(by_guid))
lj_failed = lj("jobs", REPO, "--revision", failed_push["revision"], "--result", "testfailed")
check("lj jobs --revision --result testfailed",
      sorted(j["job_guid"] for j in lj_failed) == sorted(g for g, j in by_guid.items() if j["result"] == "TESTFAILED"))
lj_job = lj("job", REPO, failed_job["guid"], "--logs")
check("lj job --logs", lj_job["id"] == job_id and sorted(l["name"] for l in lj_job["log_urls"]) == sorted(l["name"] for l in gql_logs))
errors = lj("errors", REPO, str(job_id))
lines = failed_job["failureLines"]
check("lj errors: the job's failure lines", [e["line"] for e in errors["errors"]] == [l["line"] for l in lines], errors)
check("lj errors: a suggestion per line, with the imported bug",
      len(errors["suggestions"]) == len(lines)
      and any(b["id"] == BUG for b in errors["suggestions"][0]["bugs"]["open_recent"]), errors["suggestions"][:1])
similar = lj("similar-jobs", REPO, str(job_id), "-n", "5")
check("lj similar-jobs: the same job elsewhere",
      all(j["job_type_name"] == failed_job["name"] and j["id"] != job_id for j in similar) and len(similar) <= 5)
log_name = gql_logs[0]["name"]
log = lj("log", REPO, str(job_id), "--log-name", log_name, "--tail", "20")
check("lj log --log-name --tail", 0 < log["line_count"] <= 20, log)
found = lj("log", REPO, str(job_id), "--log-name", log_name, "-p", ".")
check("lj log -p", found["total"] > 0)
today = datetime.datetime.now(datetime.UTC).date()
failures = lj("failures", str(BUG), "-s", (today - datetime.timedelta(days=30)).isoformat(), "-e", today.isoformat())
check("lj failures BUG: the sheriff's classification",
      [f["job_id"] for f in failures] == [job_id] and failures[0]["tree"] == REPO
      and failures[0]["revision"] == failed_push["revision"], failures)
frameworks = lj("perf-frameworks")
check("lj perf-frameworks: awsy with Treeherder's id", {"id": 4, "name": "awsy"} in frameworks, frameworks)
check("lj perf-alerts: none (treeherd runs no change detection)", lj("perf-alerts") == [])

print(f"clients: {len(ran)} checks passed against {URL}:")
for name in ran:
    print("  ok  " + name)
