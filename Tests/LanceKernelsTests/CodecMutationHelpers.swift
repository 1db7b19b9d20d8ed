import Foundation
import Testing

/// Shared helpers for the codec tests: seeded randomness, test vectors, and the reference Python.

/// SplitMix64: small, seedable, good enough for test data.
struct CodecTestRNG: RandomNumberGenerator {
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

enum CodecVectors {
    /// Root of the committed vectors (copied into the test bundle).
    static var root: URL {
        Bundle.module.resourceURL!.appendingPathComponent("Vectors")
    }

    static func data(_ relative: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: root.appendingPathComponent(relative)))
    }

    static func json(_ relative: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent(relative)))
    }
}

enum CodecPython {
    /// Repository root, from this file's location (Tests/LanceKernelsTests/<file>).
    static func repoRoot(_ file: String = #filePath) -> URL {
        URL(fileURLWithPath: file).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static var executable: String {
        if let p = ProcessInfo.processInfo.environment["LANCELET_PYTHON"], !p.isEmpty { return p }
        return repoRoot().appendingPathComponent(".venv/bin/python").path
    }

    /// Runs `script` with the reference Python and the given arguments; returns stdout. Throws when the
    /// interpreter exits non-zero.
    static func run(_ script: String, _ arguments: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = ["-c", script] + arguments
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw PythonFailure(message: String(decoding: e, as: UTF8.self))
        }
        return String(decoding: o, as: UTF8.self)
    }

    struct PythonFailure: Error, CustomStringConvertible {
        var message: String
        var description: String { "python failed: \(message)" }
    }

    /// A fresh temporary directory.
    static func tempDir() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lancelet-codecs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

extension Array where Element == UInt8 {
    /// Little-endian reinterpretation of the bytes as `T` values.
    func codecLittleEndian<T: FixedWidthInteger>(as: T.Type) -> [T] {
        let size = MemoryLayout<T>.size
        return (0..<(count / size)).map { i in
            withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: i * size, as: T.self)) }
        }
    }
}
