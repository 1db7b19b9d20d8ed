#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Lance
import LanceArrow
import LanceCore
import Testing
import LanceTestSupport

/// The shared seeded generator, visible to every file of this target.
typealias SplitMix64 = LanceTestSupport.SplitMix64

/// Runs the built `lancelet` executable and the reference Python.
enum CLI {
    static var repoRoot: URL { TestEnvironment.repoRoot }

    /// `LANCELET_BIN`, else the `lancelet` next to the test bundle, else `.build/debug/lancelet`.
    static func executable() throws -> String { try TestEnvironment.lanceletExecutable() }

    static var python: String { TestEnvironment.python }

    static func tempDir(_ label: String) throws -> String { try TestEnvironment.temporaryDirectory("writecli-\(label)").path }

    typealias Output = ProcessOutput

    /// Runs `exe args…` to completion, output captured through files (no pipe deadlocks).
    static func run(_ exe: String, _ args: [String]) throws -> Output { try Subprocess.run(exe, args) }

    /// Runs `lancelet args…`; throws unless it exits 0.
    @discardableResult
    static func lancelet(_ args: [String]) throws -> Output {
        let o = try run(try executable(), args)
        guard o.status == 0 else {
            throw LanceError(.internal, "lancelet \(args.joined(separator: " ")) exited \(o.status): \(o.stderr)")
        }
        return o
    }

    /// Runs the reference Python; throws with its stderr unless it exits 0.
    @discardableResult
    static func python(_ args: [String]) throws -> Output { try Subprocess.python(args) }

    static func jsonLines(_ bytes: [UInt8]) throws -> [JSONValue] {
        try JSONValue.parseLines(String(decoding: bytes, as: UTF8.self))
    }

    /// Writes an Arrow IPC file with one int64 column per name.
    static func writeIntsArrow(_ path: String, _ columns: [(String, [Int64])]) throws {
        let schema = Schema(columns.map { Field($0.0, .int64) })
        let batch = try RecordBatch(schema: schema, columns: columns.map { ArrayData.primitive(.int64, values: $0.1) })
        try Data(try ArrowIPCWriter.file(schema: schema, batches: [batch])).write(to: URL(fileURLWithPath: path))
    }
}

