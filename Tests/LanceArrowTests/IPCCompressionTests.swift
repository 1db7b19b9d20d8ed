import Foundation
import LanceArrow
import LanceCore
import Testing
import LanceTestSupport

/// Compressed IPC bodies (ZSTD, LZ4 frames) and the incremental reader.
@Suite struct IPCCompressionTests {
    static func batch(_ n: Int) throws -> RecordBatch {
        let schema = Schema([Field("i", .int64, nullable: false), Field("s", .utf8), Field("l", .list(Field("item", .int32)))])
        return try RecordBatch(schema: schema, columns: [
            .primitive(.int64, values: (0 ..< n).map { Int64($0 % 17) }),
            .strings((0 ..< n).map { $0 % 9 == 4 ? nil : "value number \($0 % 50)" }),
            .list(.primitive(.int32, values: (0 ..< 2 * n).map { Int32($0 % 5) }), offsets: (0 ... n).map { Int64(2 * $0) }),
        ])
    }

    static func rows(_ bs: [RecordBatch]) throws -> [JSONValue] {
        try bs.flatMap { b in try (0 ..< b.count).map { i in .array(try b.columns.map { try $0.jsonValue(at: i) }) } }
    }

    @Test(arguments: [ArrowIPCCompression.zstd, .lz4Frame])
    func compressedRoundTripAndPyarrowReads(_ codec: ArrowIPCCompression) throws {
        let b = try Self.batch(3000)
        let plain = try ArrowIPCWriter.file(schema: b.schema, batches: [b])
        let packed = try ArrowIPCWriter.file(schema: b.schema, batches: [b, b.slice(0, 10)], compression: codec)
        #expect(packed.count * 3 < plain.count)
        #expect(try Self.rows(ArrowIPCFileReader(bytes: packed).recordBatches()) == Self.rows([b, b.slice(0, 10)]))
        let stream = try ArrowIPCWriter.stream(schema: b.schema, batches: [b], compression: codec)
        #expect(try Self.rows(ArrowIPCStreamReader.read(bytes: stream).batches) == Self.rows([b]))
        let dir = try IPCVectors.tempDirectory("ipc-compress")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(packed).write(to: dir.appendingPathComponent("f.arrow"))
        try Data(stream).write(to: dir.appendingPathComponent("s.arrows"))
        let r = try Subprocess.run(IPCVectors.python, ["-c", """
            import sys, pyarrow.ipc as ipc
            f = ipc.open_file(sys.argv[1]).read_all(); s = ipc.open_stream(sys.argv[2]).read_all()
            assert f.num_rows == 3010 and s.num_rows == 3000
            assert f.column("s")[4].as_py() is None and f.column("s")[5].as_py() == "value number 5"
            assert s.column("l")[3].as_py() == [1, 2] and s.column("i")[20].as_py() == 3
            """, dir.appendingPathComponent("f.arrow").path, dir.appendingPathComponent("s.arrows").path])
        #expect(r.status == 0, "\(r.stderr)")
    }

    /// Feeds `bytes` to the incremental reader `chunk` bytes at a time.
    static func incremental(_ bytes: [UInt8], chunk: Int) throws -> (Schema, [RecordBatch]) {
        var pos = 0
        var r = try ArrowIPCIncrementalReader(source: { n in
            let k = min(n, chunk, bytes.count - pos)
            defer { pos += k }
            return Array(bytes[pos ..< pos + k])
        })
        var out: [RecordBatch] = []
        while let b = try r.next() { out.append(b) }
        return (r.schema, out)
    }

    @Test func incrementalReaderReadsStreamsAndFiles() throws {
        let b = try Self.batch(500)
        let batches = [b.slice(0, 100), b.slice(100, 400)]
        for bytes in [try ArrowIPCWriter.stream(schema: b.schema, batches: batches, compression: .zstd),
                      try ArrowIPCWriter.file(schema: b.schema, batches: batches)] {
            for chunk in [7, 4096, 1 << 20] {
                let (schema, got) = try Self.incremental(bytes, chunk: chunk)
                #expect(schema.fields.map(\.name) == ["i", "s", "l"])
                #expect(got.map(\.count) == [100, 400])
                #expect(try Self.rows(got) == Self.rows(batches))
            }
            // Truncations throw or end early, never trap.
            for cut in stride(from: 1, to: bytes.count, by: max(1, bytes.count / 50)) {
                if let (_, got) = try? Self.incremental(Array(bytes[0 ..< cut]), chunk: 1 << 20) {
                    #expect(got.reduce(0) { $0 + $1.count } <= 500)
                }
            }
        }
        // The streaming writer produces the same bytes as the one-shot stream writer.
        let w = ArrowIPCStreamWriter(schema: b.schema)
        var streamed = try w.begin()
        for x in batches { streamed += try w.write(x) }
        streamed += w.end()
        #expect(streamed == (try ArrowIPCWriter.stream(schema: b.schema, batches: batches)))
    }
}
