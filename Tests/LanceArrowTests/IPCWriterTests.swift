import Foundation
import LanceArrow
import LanceCore
import Testing

@Suite struct IPCWriterTests {
    /// Writes what the reader got from pyarrow's files and has pyarrow read it back.
    @Test(arguments: ["typed_plain", "typed_zstd", "extra_plain", "metadata", "empty", "deletions_like"])
    func pyarrowReadsWhatWeWrite(_ name: String) throws {
        let c = try #require(try IPCVectors.cases()[name])
        let r = try ArrowIPCFileReader(bytes: try IPCVectors.bytes("\(name).arrow"))
        let batches = try r.recordBatches()
        let want = try IPCVectors.expectedRows(name)
        let dir = try IPCVectors.tempDirectory("ipc-writer")
        defer { try? FileManager.default.removeItem(at: dir) }
        for kind in ["file", "stream"] {
            let bytes = kind == "file" ? try ArrowIPCWriter.file(schema: r.schema, batches: batches)
                                       : try ArrowIPCWriter.stream(schema: r.schema, batches: batches)
            let url = dir.appendingPathComponent("\(name).\(kind)")
            try Data(bytes).write(to: url)
            let lines = try JSONValue.parseLines(try IPCVectors.runPython(["render", url.path, kind]))
            let header = try #require(lines.first)
            if let d = header["schema"].map({ JSONValue.object(["fields": $0, "metadata": header["metadata"] ?? [:]]) })?
                .firstDifference(from: c.schema) {
                Issue.record("\(name) \(kind) schema as pyarrow reads it: \(d)")
            }
            #expect(header["num_batches"]?.int64Value == Int64(batches.count))
            IPCVectors.compare(Array(lines.dropFirst()), want, "\(name) written as \(kind), read by pyarrow")
            // and our own reader agrees
            let back = kind == "file" ? try ArrowIPCFileReader(bytes: bytes).recordBatches()
                                      : try ArrowIPCStreamReader.read(bytes: bytes).batches
            IPCVectors.compare(try IPCVectors.rows(back), want, "\(name) written as \(kind), read back")
        }
    }

    @Test func slicedArraysAndReplacedDictionaries() throws {
        let items = ArrayData.primitive(.int32, [1, nil, 3, 4, 5, 6] as [Int32?])
        let list = ArrayData.list(items, offsets: [0, 2, 2, 6], validity: [true, false, true])
        let strings = ArrayData.strings(["a", nil, "ccc"], large: true)
        let dict1 = ArrayData(type: .dictionary(index: .int16, value: .utf8), count: 3, validity: Bitmap([true, true, false]),
                              buffers: [Buffer(values: [Int16(1), 0, 0])], dictionary: .strings(["x", "y"]))
        let schema = Schema([Field("l", list.type), Field("s", .largeUtf8), Field("d", dict1.type, nullable: true),
                             Field("b", .bool)])
        let b1 = try RecordBatch(schema: schema, columns: [list, strings, dict1, .bools([true, nil, false])])
        let sliced = b1.slice(1, 2)
        let dict2 = ArrayData(type: .dictionary(index: .int16, value: .utf8), count: 2,
                              buffers: [Buffer(values: [Int16(0), 0])], dictionary: .strings(["z"]))
        let b2 = try RecordBatch(schema: schema, columns: [list.slice(0, 2), strings.slice(0, 2), dict2, .bools([false, true])])
        let expected = try IPCVectors.rows([sliced, b2])
        let stream = try ArrowIPCWriter.stream(schema: schema, batches: [sliced, b2])
        IPCVectors.compare(try IPCVectors.rows(try ArrowIPCStreamReader.read(bytes: stream).batches), expected, "stream")
        #expect(throws: LanceError.self) { try ArrowIPCWriter.file(schema: schema, batches: [sliced, b2]) }
        let file = try ArrowIPCWriter.file(schema: schema, batches: [sliced])
        IPCVectors.compare(try IPCVectors.rows(try ArrowIPCFileReader(bytes: file).recordBatches()),
                           try IPCVectors.rows([sliced]), "file")
        // pyarrow agrees on the stream
        let dir = try IPCVectors.tempDirectory("ipc-writer")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("s.arrows")
        try Data(stream).write(to: url)
        let lines = try JSONValue.parseLines(try IPCVectors.runPython(["render", url.path, "stream"]))
        IPCVectors.compare(Array(lines.dropFirst()), expected, "pyarrow reading our stream")
    }
}
