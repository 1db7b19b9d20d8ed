#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Lance
import LanceArrow
import LanceCore
import Testing

/// Runs the built `lancelet` executable and the reference Python.
enum CLI {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// `LANCELET_BIN`, else the `lancelet` next to the test bundle, else `.build/debug/lancelet`.
    static func executable() throws -> String {
        let fm = FileManager.default
        var candidates: [String] = []
        if let bin = ProcessInfo.processInfo.environment["LANCELET_BIN"], !bin.isEmpty { candidates.append(bin) }
        for b in Bundle.allBundles where b.bundleURL.pathExtension == "xctest" {
            candidates.append(b.bundleURL.deletingLastPathComponent().appendingPathComponent("lancelet").path)
        }
        let arg0 = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        candidates.append(arg0.deletingLastPathComponent().appendingPathComponent("lancelet").path)
        candidates.append(repoRoot.appendingPathComponent(".build/debug/lancelet").path)
        for c in candidates where fm.isExecutableFile(atPath: c) { return c }
        throw LanceError(.notFound, "the lancelet executable was not found (looked at \(candidates)); "
                         + "build it with `swift build --build-tests` or set LANCELET_BIN")
    }

    static var python: String {
        if let p = ProcessInfo.processInfo.environment["LANCELET_PYTHON"], !p.isEmpty { return p }
        return repoRoot.appendingPathComponent(".venv/bin/python").path
    }

    static func tempDir(_ label: String) throws -> String {
        let base = ProcessInfo.processInfo.environment["LANCELET_TEST_TMP"] ?? NSTemporaryDirectory()
        let d = (base as NSString).appendingPathComponent("writecli-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    struct Output {
        var status: Int32
        var stdout: [UInt8]
        var stderr: String
        var text: String { String(decoding: stdout, as: UTF8.self) }
    }

    /// Runs `exe args…` to completion, output captured through files (no pipe deadlocks).
    static func run(_ exe: String, _ args: [String]) throws -> Output {
        let dir = try tempDir("run")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let outPath = dir + "/out", errPath = dir + "/err"
        FileManager.default.createFile(atPath: outPath, contents: nil)
        FileManager.default.createFile(atPath: errPath, contents: nil)
        let oh = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let eh = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        p.standardOutput = oh
        p.standardError = eh
        p.standardInput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        try? oh.close()
        try? eh.close()
        return Output(status: p.terminationStatus,
                      stdout: [UInt8]((try? Data(contentsOf: URL(fileURLWithPath: outPath))) ?? Data()),
                      stderr: (try? String(contentsOf: URL(fileURLWithPath: errPath), encoding: .utf8)) ?? "")
    }

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
    static func python(_ args: [String]) throws -> Output {
        let o = try run(python, args)
        guard o.status == 0 else {
            throw LanceError(.internal, "python \(args.joined(separator: " ")) exited \(o.status): \(o.stderr.suffix(3000)). "
                             + "Tests need the project venv or LANCELET_PYTHON.")
        }
        return o
    }

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

/// A small deterministic PRNG (SplitMix64).
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
