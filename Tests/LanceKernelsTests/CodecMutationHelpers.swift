import Foundation
import Testing
import LanceTestSupport

/// Shared helpers for the codec tests: seeded randomness, test vectors, and the reference Python.

/// SplitMix64: small, seedable, good enough for test data.
typealias CodecTestRNG = SplitMix64

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
    static func repoRoot() -> URL { TestEnvironment.repoRoot }

    /// Runs `script` with the reference Python and the given arguments; returns stdout. Throws when the
    /// interpreter exits non-zero.
    static func run(_ script: String, _ arguments: [String]) throws -> String {
        try Subprocess.pythonScript(script, arguments)
    }

    /// A fresh temporary directory.
    static func tempDir() throws -> URL { try TestEnvironment.temporaryDirectory("codecs") }
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
