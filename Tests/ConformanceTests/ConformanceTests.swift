import Foundation
import LanceArrow
import Testing

/// Runs the built `lancelet` against every dataset that scripts/conformance/make_datasets.py wrote
/// with pylance 14.0.2 and compares its output with pylance's (CLI-JSON.md is the contract).
/// Each dataset is one argument of each parameterized test.
@Suite struct ConformanceTests {
    @Test func datasetsArePresent() {
        let names = Conformance.caseNames()
        if names == [Conformance.missingCase] { Issue.record(Conformance.missingMessage) }
    }

    /// `lancelet info URI --json` equals pylance's view of the latest version.
    @Test(arguments: Conformance.caseNames())
    func info(_ name: String) async throws {
        guard let c = ConformanceCase.load(name) else { return }
        let args = ["info", c.uri, "--json"]
        guard let got = await c.runJSON(args) else { return }
        for key in ConformanceCase.infoKeys {
            guard var want = c.expected[key] else { continue }
            guard var value = got[key] else {
                Issue.record("case \(name): `\(Conformance.describe(args))` has no key \"\(key)\"")
                continue
            }
            if key == "indices" {  // the manifest's order is not pylance's listing order
                want = sortedByName(want)
                value = sortedByName(value)
            }
            if let d = value.firstDifference(from: want, ignoringKeyOrder: true, path: "info.\(key)") {
                Issue.record("case \(name): \(d)")
            }
        }
    }

    /// `lancelet scan URI --with-row-address [--with-row-id]` returns every row in pylance's scan order.
    @Test(arguments: Conformance.caseNames())
    func scan(_ name: String) async throws {
        guard let c = ConformanceCase.load(name) else { return }
        let want = try c.rows(file: "expected.jsonl")
        var args = ["scan", c.uri, "--with-row-address", "--format", "jsonl"]
        if c.stableRowIDs { args.append("--with-row-id") }
        guard let got = await c.runJSONLines(args) else { return }
        c.compareRows(got, want, what: Conformance.describe(args))
    }

    /// Older versions and tags: `info --version N|--tag T --json` and `scan --version N|--tag T`.
    @Test(arguments: Conformance.caseNames())
    func versionsAndTags(_ name: String) async throws {
        guard let c = ConformanceCase.load(name) else { return }
        var checks: [(selector: [String], version: Int64?, count: JSONValue?, file: String)] = []
        for (v, spec) in c.expected["at_versions"]?.objectValue ?? JSONObject() {
            checks.append((["--version", v], Int64(v), spec["count"], spec["rows_file"]?.stringValue ?? ""))
        }
        for (tag, spec) in c.expected["at_tags"]?.objectValue ?? JSONObject() {
            checks.append((["--tag", tag], spec["version"]?.int64Value, spec["count"], spec["rows_file"]?.stringValue ?? ""))
        }
        for check in checks {
            let infoArgs = ["info", c.uri] + check.selector + ["--json"]
            if let info = await c.runJSON(infoArgs) {
                if let v = check.version, info["version"] != .int(v) {
                    Issue.record("case \(name): `\(Conformance.describe(infoArgs))`: version \(info["version"]?.serialized() ?? "missing"), expected \(v)")
                }
                if let count = check.count, info["count"] != count {
                    Issue.record("case \(name): `\(Conformance.describe(infoArgs))`: count \(info["count"]?.serialized() ?? "missing"), expected \(count)")
                }
            }
            var scanArgs = ["scan", c.uri] + check.selector + ["--with-row-address", "--format", "jsonl"]
            if c.stableRowIDs { scanArgs.append("--with-row-id") }
            let want = try c.rows(file: check.file)
            if let got = await c.runJSONLines(scanArgs) {
                c.compareRows(got, want, what: Conformance.describe(scanArgs))
            }
        }
    }

    /// `lancelet take URI --offsets … [--columns …] [--with-row-address]` equals pylance's `ds.take`.
    @Test(arguments: Conformance.caseNames())
    func take(_ name: String) async throws {
        guard let c = ConformanceCase.load(name) else { return }
        for t in c.expected["takes"]?.arrayValue ?? [] {
            let offsets = (t["offsets"]?.arrayValue ?? []).map { $0.serialized() }
            var args = ["take", c.uri, "--offsets", offsets.joined(separator: ","), "--format", "jsonl"]
            if let cols = t["columns"]?.arrayValue {
                args += ["--columns", cols.compactMap(\.stringValue).joined(separator: ",")]
            }
            if t["with_row_address"]?.boolValue == true { args.append("--with-row-address") }
            guard let got = await c.runJSONLines(args) else { continue }
            c.compareRows(got, t["rows"]?.arrayValue ?? [], what: Conformance.describe(args))
        }
    }

    /// `scan --columns last,first` (keys in the requested order) and `scan --offset K --limit M`.
    @Test(arguments: Conformance.caseNames())
    func projectionAndPaging(_ name: String) async throws {
        guard let c = ConformanceCase.load(name) else { return }
        let all = try c.rows(file: "expected.jsonl")
        let names = (c.expected["schema"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        if names.count >= 2 {
            let cols = [names[names.count - 1], names[0]]
            let args = ["scan", c.uri, "--columns", cols.joined(separator: ","), "--format", "jsonl"]
            let want = all.map { row -> JSONValue in
                var o = JSONObject()
                for k in cols { o.append(k, row[k] ?? .null) }
                return .object(o)
            }
            if let got = await c.runJSONLines(args) {
                c.compareRows(got, want, what: Conformance.describe(args))
            }
        }
        let offset = all.count / 3
        let limit = min(7, all.count - offset)
        let args = ["scan", c.uri, "--offset", String(offset), "--limit", String(limit), "--with-row-address",
                    "--format", "jsonl"] + (c.stableRowIDs ? ["--with-row-id"] : [])
        if let got = await c.runJSONLines(args) {
            c.compareRows(got, Array(all[offset ..< offset + limit]), what: Conformance.describe(args))
        }
    }

    private func sortedByName(_ v: JSONValue) -> JSONValue {
        guard let a = v.arrayValue else { return v }
        return .array(a.sorted {
            ($0["name"]?.stringValue ?? "", $0["uuid"]?.stringValue ?? "") < ($1["name"]?.stringValue ?? "", $1["uuid"]?.stringValue ?? "")
        })
    }
}
