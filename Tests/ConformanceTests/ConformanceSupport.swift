import Foundation
import LanceArrow
import LanceCore
import Testing
import LanceTestSupport

/// Where the conformance datasets are, which cases exist, and how to run `lancelet`.
enum Conformance {
    static let envVar = "LANCELET_CONFORMANCE_DIR"

    /// Name used as the single "case" when the datasets are missing, so that every
    /// parameterized test runs once and fails with an explanation instead of running zero times.
    static let missingCase = "<missing: run scripts/test, which generates the datasets and sets \(envVar)>"

    static let missingMessage: Comment = """
        \(envVar) is not set or has no cases. The conformance tests compare `lancelet` with datasets that \
        pylance writes at test time: run `scripts/test` (it runs scripts/conformance/make_datasets.py and sets \
        \(envVar)), or run `.venv/bin/python scripts/conformance/make_datasets.py --out DIR` and \
        `\(envVar)=DIR swift test --filter ConformanceTests`.
        """

    static var directory: URL? {
        guard let d = ProcessInfo.processInfo.environment[envVar], !d.isEmpty else { return nil }
        return URL(fileURLWithPath: d, isDirectory: true)
    }

    /// The case names: `cases.json` when present, else every subdirectory with an `expected.json`.
    static func caseNames() -> [String] {
        guard let dir = directory else { return [missingCase] }
        if let data = try? Data(contentsOf: dir.appendingPathComponent("cases.json")),
           let names = try? JSONValue.parse([UInt8](data)).arrayValue?.compactMap(\.stringValue), !names.isEmpty {
            return names
        }
        let fm = FileManager.default
        let names = ((try? fm.contentsOfDirectory(atPath: dir.path)) ?? [])
            .filter { fm.fileExists(atPath: dir.appendingPathComponent($0).appendingPathComponent("expected.json").path) }
            .sorted()
        return names.isEmpty ? [missingCase] : names
    }

    /// The `lancelet` executable built next to the test bundle (or `LANCELET_BIN`).
    static func executable() throws -> URL { URL(fileURLWithPath: try TestEnvironment.lanceletExecutable()) }

    typealias Output = ProcessOutput

    /// Runs `lancelet args…`, capturing its output in files (no pipe deadlocks on large output).
    /// A run that takes longer than `timeout` seconds is terminated and reported.
    static func run(_ args: [String], timeout: Double = 300) async throws -> Output {
        try await Subprocess.run(try TestEnvironment.lanceletExecutable(), args, timeout: timeout)
    }

    static func describe(_ args: [String]) -> String {
        "lancelet " + args.map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
    }
}


/// One conformance case on disk.
struct ConformanceCase {
    let name: String
    let dir: URL
    let expected: JSONValue

    var uri: String { dir.appendingPathComponent("data.lance").path }
    var stableRowIDs: Bool { expected["stable_row_ids"]?.boolValue ?? false }

    static let infoKeys = ["count", "version", "data_storage_version", "versions", "tags", "indices", "fragments", "schema"]

    /// Loads the case, or records why it cannot and returns nil.
    static func load(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) -> ConformanceCase? {
        guard name != Conformance.missingCase, let root = Conformance.directory else {
            Issue.record(Conformance.missingMessage, sourceLocation: sourceLocation)
            return nil
        }
        let dir = root.appendingPathComponent(name, isDirectory: true)
        do {
            let data = try Data(contentsOf: dir.appendingPathComponent("expected.json"))
            return ConformanceCase(name: name, dir: dir, expected: try JSONValue.parse([UInt8](data)))
        } catch {
            Issue.record("case \(name): cannot read expected.json: \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    func rows(file: String) throws -> [JSONValue] {
        let text = try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)
        return try JSONValue.parseLines(text)
    }

    /// Runs lancelet and returns stdout, recording an issue (with stderr) on a non-zero exit.
    func run(_ args: [String], sourceLocation: SourceLocation = #_sourceLocation) async -> [UInt8]? {
        do {
            let out = try await Conformance.run(args)
            if out.status != 0 {
                Issue.record("case \(name): `\(Conformance.describe(args))` exited with \(out.status): \(out.stderr.prefix(2000))",
                             sourceLocation: sourceLocation)
                return nil
            }
            return out.stdout
        } catch {
            Issue.record("case \(name): cannot run `\(Conformance.describe(args))`: \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    /// Runs lancelet and parses its stdout as one JSON document.
    func runJSON(_ args: [String], sourceLocation: SourceLocation = #_sourceLocation) async -> JSONValue? {
        guard let out = await run(args, sourceLocation: sourceLocation) else { return nil }
        do { return try JSONValue.parse(out) } catch {
            let head = String(decoding: out.prefix(500), as: UTF8.self)
            Issue.record("case \(name): `\(Conformance.describe(args))` printed invalid JSON (\(error)): \(head)",
                         sourceLocation: sourceLocation)
            return nil
        }
    }

    /// Runs lancelet and parses its stdout as JSON lines.
    func runJSONLines(_ args: [String], sourceLocation: SourceLocation = #_sourceLocation) async -> [JSONValue]? {
        guard let out = await run(args, sourceLocation: sourceLocation) else { return nil }
        do { return try JSONValue.parseLines(String(decoding: out, as: UTF8.self)) } catch {
            Issue.record("case \(name): `\(Conformance.describe(args))` printed invalid JSON lines (\(error))",
                         sourceLocation: sourceLocation)
            return nil
        }
    }

    /// Compares rows and records the first difference (row number, its _rowaddr, the JSON path).
    /// Returns true when equal.
    @discardableResult
    func compareRows(_ got: [JSONValue], _ want: [JSONValue], what: String,
                     sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        for i in 0 ..< min(got.count, want.count) {
            if let d = got[i].firstDifference(from: want[i]) {
                let addr = want[i]["_rowaddr"].map { " (_rowaddr \($0))" } ?? ""
                Issue.record("case \(name): \(what): row \(i)\(addr): \(d)", sourceLocation: sourceLocation)
                return false
            }
        }
        if got.count != want.count {
            let extra = got.count > want.count ? " first extra row: \(got[want.count].serialized().prefix(300))" : ""
            Issue.record("case \(name): \(what): \(got.count) rows, expected \(want.count).\(extra)",
                         sourceLocation: sourceLocation)
            return false
        }
        return true
    }
}
