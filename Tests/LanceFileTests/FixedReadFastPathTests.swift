import Foundation
import LanceArrow
import LanceCore
import LanceIO
import LanceTestSupport
import Testing
@testable import LanceFile

/// The range read that copies fixed-width full-zip values (embeddings) straight from the file into
/// the Arrow buffer must give what the general decoding gives, and only take the columns it can.
@Suite struct FixedReadFastPathTests {
    static func columns(n: Int) -> [(Field, ArrayData)] {
        var rng = SplitMix64(seed: 42)
        func floats(_ k: Int) -> [Float] { (0 ..< k).map { _ in Float(rng.int(-100_000 ..< 100_000)) / 997 } }
        let emb = ArrayData.fixedSizeList(.primitive(.float32, values: floats(n * 96)), size: 96)
        let nulls = (0 ..< n).map { $0 % 7 != 3 }
        let embn = ArrayData.fixedSizeList(.primitive(.float32, values: floats(n * 96)), size: 96, validity: nulls)
        let half = ArrayData.fixedSizeList(.primitive(.float16, values: (0 ..< n * 200).map { _ in UInt16(rng.int(0 ..< 0x7C00)) }), size: 200)
        let inner = ArrayData.fixedSizeList(.primitive(.int32, values: (0 ..< n * 80).map { _ in Int32(rng.int(-5000 ..< 5000)) }), size: 8)
        let nested = ArrayData.fixedSizeList(inner, size: 10)
        let small = ArrayData.fixedSizeList(.primitive(.float32, values: floats(n * 4)), size: 4)
        return [(Field("emb", emb.type, nullable: false), emb), (Field("embn", embn.type), embn),
                (Field("half", half.type, nullable: false), half), (Field("nested", nested.type), nested),
                (Field("small", small.type), small)]
    }

    @Test(arguments: [FileVersion.v2_1, .v2_2])
    func rangeReadsMatchGeneralPath(version: FileVersion) async throws {
        let dir = try TestEnvironment.temporaryDirectory("fixedread").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let n = 700
        let cols = Self.columns(n: n)
        let arrow = Schema(cols.map(\.0))
        // Small pages: every column spans several, so ranges cross page boundaries.
        let writer = try LanceFileWriter(path: dir + "/f.lance", schema: LanceSchema(assigningIdsTo: arrow), version: version,
                                         options: LanceFileWriterOptions(pageSize: 64 << 10))
        try await writer.write(try RecordBatch(schema: arrow, columns: cols.map(\.1)))
        _ = try await writer.finish()
        let local = try await LanceFileReader.open(try await LocalStore(root: dir).open("f.lance"))
        // The same bytes from a store that cannot read into a caller's buffer (the multi-page fallback).
        let memory = MemoryStore()
        try await memory.put("f.lance", Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/f.lance"))))
        let inMemory = try await LanceFileReader.open(try await memory.open("f.lance"))
        for file in [local, inMemory] {
            let map = try file.defaultColumnMap()
            var fast: Set<String> = []
            for (field, data) in zip(try file.schema().fields, cols.map(\.1)) {
                let pages = try V21Pages.pages(file, column: map[field.id]!)
                #expect(pages.count > 1 || field.name == "small", "\(field.name) has \(pages.count) page(s)")
                let whole = TakeFastPathTests.render(data)
                for rows in [0 ..< n, 0 ..< 1, 5 ..< 6, 130 ..< 530, n - 3 ..< n, 333 ..< 333] {
                    let got = try await file.read(field, columns: map, rows: rows)
                    let plain = try await V21Decoding.read(file, field: field, columns: map, rows: rows, fastPaths: false)
                    #expect(TakeFastPathTests.render(got) == TakeFastPathTests.render(plain), "\(field.name) \(rows)")
                    #expect(TakeFastPathTests.render(got) == Array(whole[rows]), "\(field.name) \(rows)")
                    #expect(got.type == data.type)
                    var parts: [(page: V21Page, rows: Range<Int>)] = []
                    for p in pages where p.firstRow < rows.upperBound && p.firstRow + p.rows > rows.lowerBound {
                        parts.append((p, max(rows.lowerBound, p.firstRow) - p.firstRow ..< min(rows.upperBound, p.firstRow + p.rows) - p.firstRow))
                    }
                    if try await FullZipFixedRead.read(file, field: field, parts: parts, count: rows.count) != nil { fast.insert(field.name) }
                }
            }
            // Full-zip without nulls takes the fast path; nullable values and mini-block pages do not.
            #expect(fast == ["emb", "half", "nested"])
        }
    }
}
