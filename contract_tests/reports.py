"""Reports of a run: JUnit XML for CI, HTML (operations x checks matrix, spec coverage, failures
with reproductions), JSON. Everything written here went through the run's redactor already."""

from __future__ import annotations

import html
import json
from pathlib import Path
from xml.etree import ElementTree as ET

from contract_tests.runner import RunResult

FORMATS = ("junit", "html", "json")


def write(result: RunResult, formats: list[str], folder: Path) -> list[Path]:
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown report format(s) {unknown}; known: {', '.join(FORMATS)}")
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for fmt in formats:
        path = folder / f"{result.vendor}.{ {'junit': 'xml', 'html': 'html', 'json': 'json'}[fmt] }"
        path.write_text({"junit": junit, "html": html_report, "json": as_json}[fmt](result), encoding="utf-8")
        out.append(path)
    return out


def junit(result: RunResult) -> str:
    """One test case per operation x check that ran; failures carry the reproduction."""
    suite = ET.Element(
        "testsuite",
        name=f"crm-contract.{result.vendor}",
        tests=str(len(result.matrix)),
        failures=str(sum(1 for v in result.matrix.values() if v == "fail")),
        errors=str(len(result.errors)),
        time=f"{result.duration:.3f}",
    )
    props = ET.SubElement(suite, "properties")
    for name, value in (("seed", result.seed), ("mode", result.mode), ("target", result.target)):
        ET.SubElement(props, "property", name=name, value=str(value))
    by_key: dict[tuple[str, str], list] = {}
    for failure in result.failures:
        by_key.setdefault((failure.operation, failure.check), []).append(failure)
    for (operation, check), status in sorted(result.matrix.items()):
        case = ET.SubElement(suite, "testcase", classname=f"{result.vendor}.{operation}", name=check)
        if status == "fail":
            items = by_key.get((operation, check), [])
            text = "\n\n".join(
                f"{f.title}\n{f.message}\nphase: {f.phase}, seed: {f.seed}\nreproduce:\n{f.curl}"
                for f in items
            )
            node = ET.SubElement(
                case, "failure", message=(items[0].title if items else check)[:500], type=check
            )
            node.text = text
    for error in result.errors:
        case = ET.SubElement(suite, "testcase", classname=f"{result.vendor}.run", name="error")
        ET.SubElement(case, "error", message=error[:500]).text = error
    return ET.tostring(suite, encoding="unicode", xml_declaration=True)


def as_json(result: RunResult) -> str:
    return json.dumps(
        {
            "vendor": result.vendor,
            "mode": result.mode,
            "seed": result.seed,
            "ok": result.ok,
            "duration": round(result.duration, 3),
            "cases": result.cases,
            "matrix": [
                {"operation": o, "check": c, "status": s} for (o, c), s in sorted(result.matrix.items())
            ],
            "failures": [f.__dict__ for f in result.failures],
            "errors": result.errors,
            "coverage": {
                op: {
                    "documented": result.documented_codes.get(op, []),
                    "seen": sorted(result.seen_codes.get(op, [])),
                }
                for op in result.operations
            },
        },
        indent=2,
    )


def html_report(result: RunResult) -> str:
    esc = html.escape
    checks = result.checks
    cells = {"pass": ("pass", "✓"), "fail": ("fail", "✗")}
    rows = []
    for op in result.operations:
        tds = []
        for check in checks:
            status = result.matrix.get((op, check))
            cls, mark = cells.get(status or "", ("none", "·"))
            tds.append(f'<td class="{cls}" title="{esc(check)}: {status or "not run"}">{mark}</td>')
        rows.append(f"<tr><th>{esc(op)}</th>{''.join(tds)}</tr>")
    head = "".join(f'<th class="v"><div>{esc(c)}</div></th>' for c in checks)
    cov_rows = []
    exercised = 0
    for op in result.operations:
        seen = sorted(result.seen_codes.get(op, set()))
        documented = result.documented_codes.get(op, [])
        exercised += bool(seen)
        hit = [d for d in documented if d.isdigit() and int(d) in seen]
        cov_rows.append(
            f"<tr><td>{esc(op)}</td><td>{esc(', '.join(documented))}</td>"
            f"<td>{esc(', '.join(map(str, seen)))}</td>"
            f"<td>{len(hit)}/{len([d for d in documented if d.isdigit()])}</td></tr>"
        )
    failures = (
        "".join(
            f"<div class='failure'><h3>{esc(f.check)} — {esc(f.operation)}</h3><p>{esc(f.title)}</p>"
            f"<pre>{esc(f.message)}</pre><p>phase {esc(f.phase)}, seed {f.seed}</p>"
            f"<pre>{esc(f.curl)}</pre></div>"
            for f in result.failures
        )
        or "<p>None.</p>"
    )
    errors = "".join(f"<pre>{esc(e)}</pre>" for e in result.errors)
    return f"""<!doctype html><html><head><meta charset="utf-8">
<title>crm-contract {esc(result.vendor)}</title>
<style>body{{font-family:sans-serif;margin:1em}} table{{border-collapse:collapse}} td,th{{border:1px
solid #ccc;
padding:2px 4px;font-size:12px}} td.pass{{background:#d4f7d4}} td.fail{{background:#f7c4c4}}
td.none{{color:#999}} th.v div{{writing-mode:vertical-rl;transform:rotate(180deg)}}
pre{{background:#f4f4f4;padding:.5em;white-space:pre-wrap}}
</style></head><body>
<h1>crm-contract: {esc(result.vendor)} — {"PASS" if result.ok else "FAIL"}</h1>
<p>mode {esc(result.mode)}, target {esc(result.target)}, seed {result.seed}, {result.cases} requests,
{len(result.failures)} failures, {result.duration:.1f} s</p>
<h2>Operations × checks</h2><p>✓ pass, ✗ fail, · not run</p>
<table><tr><th>operation</th>{head}</tr>{"".join(rows)}</table>
<h2>Spec coverage</h2><p>{exercised}/{len(result.operations)} operations exercised</p>
<table><tr><th>operation</th><th>documented codes</th><th>codes seen</th><th>documented seen</th></tr>
{"".join(cov_rows)}</table>
<h2>Failures</h2>{failures}{"<h2>Errors</h2>" + errors if errors else ""}
</body></html>"""
