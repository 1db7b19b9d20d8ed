import Foundation
import LanceArrow
import LanceCore
import Testing
import LanceTestSupport

@Suite struct IPCReaderTests {
    static let names = ["typed_plain", "typed_zstd", "typed_lz4", "extra_plain", "extra_zstd", "big_lz4", "big_zstd", "deletions_like", "empty",
                        "dict_replace", "dict_delta", "metadata", "lance_deletion"]

    @Test(arguments: names)
    func readsWhatPyarrowWrote(_ name: String) throws {
        guard let c = try IPCVectors.cases()[name] else {
            Issue.record("case \(name) missing from the generated vectors")
            return
        }
        let want = try IPCVectors.expectedRows(name)
        #expect(want.count == c.rows)
        if c.hasFile {
            let r = try ArrowIPCFileReader(bytes: try IPCVectors.bytes("\(name).arrow"))
            #expect(r.recordBatchCount == c.batches)
            if let d = IPCVectors.schemaJSON(r.schema).firstDifference(from: c.schema) { Issue.record("\(name).arrow schema: \(d)") }
            IPCVectors.compare(try IPCVectors.rows(try r.recordBatches()), want, "\(name).arrow")
        }
        if c.hasStream {
            let (schema, batches) = try ArrowIPCStreamReader.read(bytes: try IPCVectors.bytes("\(name).arrows"))
            #expect(batches.count == c.batches)
            if let d = IPCVectors.schemaJSON(schema).firstDifference(from: c.schema) { Issue.record("\(name).arrows schema: \(d)") }
            IPCVectors.compare(try IPCVectors.rows(batches), want, "\(name).arrows")
        }
    }

    @Test func deletionFileIsAZstdUInt32Column() throws {
        let r = try ArrowIPCFileReader(bytes: try IPCVectors.bytes("lance_deletion.arrow"))
        #expect(r.schema.fields.map(\.name) == ["row_id"])
        #expect(r.schema.fields[0].type == .uint32)
        let col = try r.recordBatch(at: 0).columns[0]
        let ids = Set((0 ..< col.count).map { col.value($0, as: UInt32.self) })
        let want = Set((0 ..< 3000).filter { $0 % 7 == 1 || $0 == 2999 }.map(UInt32.init))
        #expect(ids == want)
        #expect(throws: LanceError.self) { try r.recordBatch(at: 1) }
    }

    /// Every truncation of a valid file or stream throws; none traps.
    @Test(arguments: ["typed_zstd", "typed_lz4", "typed_plain"])
    func truncatedInputThrows(_ name: String) throws {
        let file = try IPCVectors.bytes("\(name).arrow")
        for cut in stride(from: 0, to: file.count, by: max(1, file.count / 150)) {
            #expect(throws: LanceError.self, "file cut at \(cut)") {
                let r = try ArrowIPCFileReader(bytes: Array(file[0 ..< cut]))
                _ = try r.recordBatches()
            }
        }
        let stream = try IPCVectors.bytes("\(name).arrows")
        for cut in stride(from: 1, to: stream.count - 8, by: max(1, stream.count / 150)) {
            // a stream cut exactly at a message boundary is a valid shorter stream; others must throw
            do {
                let (_, batches) = try ArrowIPCStreamReader.read(bytes: Array(stream[0 ..< cut]))
                for b in batches { for i in 0 ..< b.count { _ = try b.jsonRow(i) } }
            } catch is LanceError {
            } catch {
                Issue.record("stream cut at \(cut): unexpected error type \(error)")
            }
        }
    }

    /// Corrupting bytes anywhere gives an error or some data, never a crash or hang.
    @Test(arguments: ["typed_zstd", "typed_plain", "typed_lz4"])
    func corruptedBytesNeverTrap(_ name: String) throws {
        let file = try IPCVectors.bytes("\(name).arrow")
        var rng = SplitMix(seed: 42)
        for round in 0 ..< 100 {
            var bad = file
            let flips = 1 + Int(rng.next() % 4)
            // bias half of the rounds toward the metadata (footer and message headers)
            for _ in 0 ..< flips {
                let pos = round % 2 == 0 ? Int(rng.next() % UInt64(bad.count))
                                         : bad.count - 1 - Int(rng.next() % UInt64(min(bad.count, 3000)))
                bad[pos] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
            }
            do {
                let r = try ArrowIPCFileReader(bytes: bad)
                for b in try r.recordBatches() { for i in 0 ..< b.count { _ = try b.jsonRow(i) } }
            } catch is LanceError {
            } catch {
                Issue.record("round \(round): unexpected error type \(error)")
            }
        }
    }

    @Test func rejectsGarbage() {
        #expect(throws: LanceError.self) { try ArrowIPCFileReader(bytes: []) }
        #expect(throws: LanceError.self) { try ArrowIPCFileReader(bytes: Array("ARROW1\0\0ARROW1".utf8)) }
        #expect(throws: LanceError.self) { try ArrowIPCStreamReader.read(bytes: [0xFF, 0xFF, 0xFF, 0xFF, 0x10, 0, 0, 0]) }
        #expect(throws: LanceError.self) { try ArrowIPCStreamReader.read(bytes: [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0]) }
        #expect(throws: LanceError.self) { try ArrowIPCStreamReader.read(bytes: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]) }
    }
}

/// A small deterministic generator for corruption tests.
typealias SplitMix = SplitMix64
