import Foundation
import LanceArrow
import LanceCore
import Testing
import LanceTestSupport

/// Arrow IPC vectors written by pyarrow at test time (scripts/testdata/arrow_ipc.py).
enum IPCVectors {
    static var python: String { TestEnvironment.python }

    static var script: String { TestEnvironment.path("scripts/testdata/arrow_ipc.py") }

    static func tempDirectory(_ name: String) throws -> URL { try TestEnvironment.temporaryDirectory(name) }

    /// Runs the vector script with the project's Python; throws with its stderr on failure.
    static func runPython(_ args: [String]) throws -> String {
        try Subprocess.python([script] + args).text
    }

    /// The generated vectors (written once per test process).
    static let generated: Result<URL, LanceError> = {
        do {
            let d = try tempDirectory("arrow-ipc-vectors")
            _ = try runPython(["gen", d.path])
            return .success(d)
        } catch let e as LanceError {
            return .failure(e)
        } catch {
            return .failure(LanceError(.io, "\(error)"))
        }
    }()

    static func directory() throws -> URL { try generated.get() }

    struct Case: Sendable {
        var name: String
        var hasFile: Bool
        var hasStream: Bool
        var rows: Int
        var batches: Int
        var schema: JSONValue
    }

    static func cases() throws -> [String: Case] {
        let d = try directory()
        let json = try JSONValue.parse([UInt8](try Data(contentsOf: d.appendingPathComponent("cases.json"))))
        var out: [String: Case] = [:]
        for c in json.arrayValue ?? [] {
            let name = c["name"]!.stringValue!
            out[name] = Case(name: name, hasFile: c["file"]?.boolValue ?? false, hasStream: c["stream"]?.boolValue ?? false,
                             rows: Int(c["rows"]?.int64Value ?? -1), batches: Int(c["batches"]?.int64Value ?? -1),
                             schema: c["schema"] ?? .null)
        }
        return out
    }

    static func expectedRows(_ name: String) throws -> [JSONValue] {
        let url = try directory().appendingPathComponent("\(name).jsonl")
        return try JSONValue.parseLines(try String(contentsOf: url, encoding: .utf8))
    }

    static func bytes(_ file: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: try directory().appendingPathComponent(file)))
    }

    static func rows(_ batches: [RecordBatch]) throws -> [JSONValue] {
        var out: [JSONValue] = []
        for b in batches { for i in 0 ..< b.count { out.append(try b.jsonRow(i)) } }
        return out
    }

    /// Records the first differing row.
    static func compare(_ got: [JSONValue], _ want: [JSONValue], _ what: String,
                        sourceLocation: SourceLocation = #_sourceLocation) {
        for i in 0 ..< min(got.count, want.count) {
            if let d = got[i].firstDifference(from: want[i]) {
                Issue.record("\(what): row \(i): \(d)", sourceLocation: sourceLocation)
                return
            }
        }
        #expect(got.count == want.count, "\(what): row count", sourceLocation: sourceLocation)
    }

    /// The schema as `{"fields": [{name, type, nullable, metadata}], "metadata"}` like the script prints it.
    static func schemaJSON(_ s: Schema) -> JSONValue {
        func md(_ m: [String: String]) -> JSONValue {
            .object(JSONObject(m.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) }))
        }
        let fields: [JSONValue] = s.fields.map { f in
            ["name": .string(f.name), "type": .string(f.type.description), "nullable": .bool(f.nullable), "metadata": md(f.metadata)]
        }
        return ["fields": .array(fields), "metadata": md(s.metadata)]
    }
}
