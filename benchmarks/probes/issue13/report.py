import json, os, subprocess
H = os.path.dirname(os.path.abspath(__file__))
R = json.load(open(f"{H}/results.json"))
PEERS = {"20ng": (0.388, 0.521), "r8": (0.557, 0.571), "googlenews": (0.914, 0.914), "tweet": (0.826, 0.863), "topics-en": (0.0715, 0.9347), "topics-de": (0.0873, 0.1212)}
order = ["20ng", "r8", "googlenews", "tweet", "topics-en", "topics-de"]
pipes = []
for c in order:
    for p in R.get(c, {}):
        if p not in pipes and not p.startswith("_"): pipes.append(p)
L = ["# i13 probe: default text pipeline vs peers (seed 0, NMI / ACC)", "",
     "Machine: 2 cores shared, load average 5-18 during runs, two probe processes at once after 07:19 UTC: seconds are orders of magnitude only.", "",
     "Manifest peers (NMI, seed 0): " + "; ".join(f"{c} TF-IDF {a} / MiniLM {b}" for c, (a, b) in PEERS.items()), "",
     "| pipeline | " + " | ".join(order) + " |", "| --- |" + " --- |" * len(order)]
for p in pipes:
    row = []
    for c in order:
        v = R.get(c, {}).get(p)
        if not v: row.append(""); continue
        if "error" in v: row.append("err"); continue
        s = f"{v['nmi']:.3f} / {v['acc']:.2f}"
        if c in PEERS and v["nmi"] >= max(PEERS[c]): s = f"**{s}**"
        row.append(s)
    L.append(f"| {p.replace('|', '->')} | " + " | ".join(row) + " |")
L += ["", "Bold: NMI >= max(peers); topics-en/de peers measured here (TF-IDF recipe, MiniLM).", "", "## Timings and per-round details (raw)", "", "```"]
for c, v in R.items():
    for p, x in v.items():
        L.append(f"{c:11s} {p:45s} " + json.dumps({a: b for a, b in x.items() if a not in ('nmi', 'acc', 'ari')}))
L.append("```")
notes = f"{H}/NOTES.md"
if os.path.exists(notes): L += ["", open(notes).read()]
open(f"{H}/REPORT.md", "w").write("\n".join(L) + "\n")
