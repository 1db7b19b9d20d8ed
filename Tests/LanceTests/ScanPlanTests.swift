import Foundation
import LanceArrow
import LanceCore
import LanceIO
import LanceProto
import SwiftProtobuf
import Testing
@testable import Lance

/// Scan and take planning that needs no data decoding (no columns, or columns no file holds).
@Suite struct ScanPlanTests {
    /// Three fragments without files on disk: reading only virtual columns never opens them.
    func dataset(flags: UInt64 = 0, rowIds: [Lance_Table_RowIdSequence?] = [nil, nil, nil]) async throws -> Dataset {
        let m = Synth.manifest(version: 1, fragments: [
            Synth.fragment(0, rows: 5, rowIds: rowIds[0]),
            Synth.fragment(2, rows: 3, rowIds: rowIds[1]),
            Synth.fragment(7, rows: 4, rowIds: rowIds[2]),
        ], flags: flags)
        return try await Dataset.open(store: try await Synth.store([m]))
    }

    static func addresses(_ b: RecordBatch) -> [UInt64] {
        guard let c = b.column("_rowaddr") else { return [] }
        return (0 ..< c.count).map { c.value($0, as: UInt64.self) }
    }

    static func expectedAddresses() -> [UInt64] {
        (0 ..< 5).map { UInt64($0) } + (0 ..< 3).map { 2 << 32 | UInt64($0) } + (0 ..< 4).map { 7 << 32 | UInt64($0) }
    }

    @Test func rowAddressesAcrossFragments() async throws {
        let ds = try await dataset()
        let all = ScanPlanTests.expectedAddresses()
        for (offset, limit) in [(0, nil), (0, 3), (4, 2), (5, 100), (8, nil), (11, 5), (12, nil), (3, 0)] as [(Int, Int?)] {
            for batchSize in [1, 2, 100] {
                var got: [UInt64] = []
                var batches = 0
                for try await b in ds.scan(columns: [], limit: limit, offset: offset, withRowAddress: true, batchSize: batchSize) {
                    #expect(b.count <= batchSize)
                    #expect(b.schema.names == ["_rowaddr"])
                    got += ScanPlanTests.addresses(b)
                    batches += 1
                }
                let end = limit.map { min(all.count, offset + $0) } ?? all.count
                let want = offset < all.count ? Array(all[offset ..< max(offset, end)]) : []
                #expect(got == want, "offset \(offset) limit \(String(describing: limit)) batch \(batchSize)")
            }
        }
    }

    @Test func countOnlyScan() async throws {
        let ds = try await dataset()
        var n = 0
        for try await b in ds.scan(columns: [], offset: 2) {
            #expect(b.columns.isEmpty)
            n += b.count
        }
        #expect(n == 10)
    }

    @Test func unknownColumnFailsOnIteration() async throws {
        let ds = try await dataset()
        await expectCode(.invalidInput) {
            for try await _ in ds.scan(columns: ["nope"]) {}
        }
        await expectCode(.invalidInput) { try await ds.take(offsets: [0], columns: ["nope"]) }
    }

    @Test func takeMapsLogicalOffsetsInRequestOrder() async throws {
        let ds = try await dataset()
        let all = ScanPlanTests.expectedAddresses()
        let offsets = [11, 0, 5, 5, 7, 8, 4, 0]
        let b = try await ds.take(offsets: offsets, columns: [], withRowAddress: true, withRowId: true)
        #expect(b.schema.names == ["_rowaddr", "_rowid"])
        #expect(ScanPlanTests.addresses(b) == offsets.map { all[$0] })
        let ids = b.column("_rowid")!
        #expect((0 ..< ids.count).map { ids.value($0, as: UInt64.self) } == offsets.map { all[$0] })
        await expectCode(.invalidInput) { try await ds.take(offsets: [12], columns: []) }
        await expectCode(.invalidInput) { try await ds.take(offsets: [-1], columns: []) }
        let empty = try await ds.take(offsets: [], columns: [], withRowAddress: true)
        #expect(empty.count == 0)
    }

    @Test func takeByRowAddress() async throws {
        let ds = try await dataset()
        let b = try await ds.take(rowAddresses: [7 << 32 | 3, 1, 2 << 32], columns: [], withRowAddress: true)
        #expect(ScanPlanTests.addresses(b) == [7 << 32 | 3, 1, 2 << 32])
        await expectCode(.invalidInput) { try await ds.take(rowAddresses: [1 << 32], columns: []) }
        await expectCode(.invalidInput) { try await ds.take(rowAddresses: [7 << 32 | 4], columns: []) }
    }

    @Test func fieldInNoFileReadsAsNulls() async throws {
        // Field 1 ("extra") was added to the schema but no data file of these fragments holds it.
        let m = Synth.manifest(version: 1, fragments: [Synth.fragment(0, rows: 3), Synth.fragment(1, rows: 2)],
                               fields: [Synth.field(0, "id", "int64"), Synth.field(1, "extra", "string")])
        let ds = try await Dataset.open(store: try await Synth.store([m]))
        var rows = 0
        for try await b in ds.scan(columns: ["extra"]) {
            let c = b.column("extra")!
            #expect(c.type == .utf8)
            #expect(c.nullCount == c.count)
            rows += b.count
        }
        #expect(rows == 5)
        let t = try await ds.take(offsets: [4, 0], columns: ["extra"])
        #expect(t.count == 2 && t.columns[0].nullCount == 2)
    }

    static func rangeSeq(_ r: Range<UInt64>) -> Lance_Table_RowIdSequence {
        var s = Lance_Table_U64Segment()
        var range = Lance_Table_U64Segment.Range()
        range.start = r.lowerBound
        range.end = r.upperBound
        s.range = range
        var seq = Lance_Table_RowIdSequence()
        seq.segments = [s]
        return seq
    }

    @Test func stableRowIdsComeFromTheSequence() async throws {
        var arr = Lance_Table_EncodedU64Array()
        var u16 = Lance_Table_EncodedU64Array.U16Array()
        u16.base = 1000
        u16.offsets = Data(Synth.le(UInt16(5)) + Synth.le(UInt16(1)) + Synth.le(UInt16(9)))
        arr.u16Array = u16
        var seg = Lance_Table_U64Segment()
        seg.array = arr
        var unsorted = Lance_Table_RowIdSequence()
        unsorted.segments = [seg]
        let ds = try await dataset(flags: 2, rowIds: [ScanPlanTests.rangeSeq(100 ..< 105), unsorted, ScanPlanTests.rangeSeq(7 ..< 11)])
        var ids: [UInt64] = []
        for try await b in ds.scan(columns: [], offset: 1, withRowId: true) {
            let c = b.column("_rowid")!
            ids += (0 ..< c.count).map { c.value($0, as: UInt64.self) }
        }
        #expect(ids == [101, 102, 103, 104, 1005, 1001, 1009, 7, 8, 9, 10])
        let t = try await ds.take(offsets: [6, 0], columns: [], withRowId: true)
        #expect((0 ..< 2).map { t.columns[0].value($0, as: UInt64.self) } == [1001, 100])
    }

    @Test func rowIdSegmentsDecode() throws {
        func seg(_ body: (inout Lance_Table_U64Segment) -> Void) -> Lance_Table_U64Segment {
            var s = Lance_Table_U64Segment()
            body(&s)
            return s
        }
        var holes = Lance_Table_EncodedU64Array()
        var u32 = Lance_Table_EncodedU64Array.U32Array()
        u32.base = 20
        u32.offsets = Data(Synth.le(UInt32(1)) + Synth.le(UInt32(3)))
        holes.u32Array = u32
        var u64 = Lance_Table_EncodedU64Array()
        var v64 = Lance_Table_EncodedU64Array.U64Array()
        v64.values = Data(Synth.le(UInt64(1 << 40)) + Synth.le(UInt64(3)))
        u64.u64Array = v64
        var seq = Lance_Table_RowIdSequence()
        seq.segments = [
            seg { var r = Lance_Table_U64Segment.Range(); r.start = 0; r.end = 3; $0.range = r },
            seg { var r = Lance_Table_U64Segment.RangeWithHoles(); r.start = 20; r.end = 25; r.holes = holes; $0.rangeWithHoles = r },
            seg { var r = Lance_Table_U64Segment.RangeWithBitmap(); r.start = 50; r.end = 60; r.bitmap = Data([0b0000_0101, 0b10]); $0.rangeWithBitmap = r },
            seg { $0.sortedArray = u64 },
        ]
        let bytes: [UInt8] = try seq.serializedBytes()
        let values = try RowIdSequence.decode(bytes, path: "x", limit: 100)
        #expect(values == [0, 1, 2, 20, 22, 24, 50, 52, 59, 1 << 40, 3])
        // A sequence longer than the fragment is refused before it is expanded.
        expectCodeSync(.corruptFile) { try RowIdSequence.decode(bytes, path: "x", limit: 5) }
        let huge: [UInt8] = try ScanPlanTests.rangeSeq(0 ..< UInt64.max).serializedBytes()
        expectCodeSync(.corruptFile) { try RowIdSequence.decode(huge, path: "x", limit: 1000) }
        expectCodeSync(.corruptFile) { try RowIdSequence.decode([0xFF, 0xFF], path: "x", limit: 10) }
    }

    @Test func deletionVectorMapsLiveRows() throws {
        let deleted: [UInt32] = [0, 1, 5, 6, 7, 19]
        let dv = try DeletionVector(rows: deleted.reversed(), physicalRows: 20, path: "x")
        let live = (0 ..< 20).filter { !deleted.contains(UInt32($0)) }
        for (k, p) in live.enumerated() { #expect(dv.physical(ofLive: k) == p) }
        #expect(dv.deletedBefore(6) == 3)
        expectCodeSync(.corruptFile) { try DeletionVector(rows: [20], physicalRows: 20, path: "x") }
    }

    @Test func indexTypeNames() {
        #expect(Dataset.typeName(url: "/lance.table.BTreeIndexDetails", details: []) == "BTree")
        #expect(Dataset.typeName(url: "/lance.table.BitmapIndexDetails", details: []) == "Bitmap")
        #expect(Dataset.typeName(url: "/lance.table.LabelListIndexDetails", details: []) == "LabelList")
        #expect(Dataset.typeName(url: "/lance.table.InvertedIndexDetails", details: [0x0A, 0x00]) == "Inverted")
        #expect(Dataset.typeName(url: "/lance.table.NGramIndexDetails", details: []) == "NGram")
        #expect(Dataset.typeName(url: "/lance.table.ZoneMapIndexDetails", details: []) == "ZoneMap")
        let v = "/lance.index.pb.VectorIndexDetails"
        #expect(Dataset.typeName(url: v, details: [0x22, 0x04, 0x08, 0x08, 0x10, 0x04]) == "IVF_PQ")
        #expect(Dataset.typeName(url: v, details: [0x42, 0x00]) == "IVF_FLAT")
        #expect(Dataset.typeName(url: v, details: [0x1A, 0x02, 0x08, 0x14, 0x2A, 0x02, 0x08, 0x08]) == "IVF_HNSW_SQ")
        #expect(Dataset.typeName(url: v, details: [0x1A, 0x00, 0x22, 0x00]) == "IVF_HNSW_PQ")
        #expect(Dataset.typeName(url: v, details: [0x32, 0x00]) == "IVF_RQ")
        #expect(Dataset.typeName(url: "type.googleapis.com/lance.index.VectorIndexDetails", details: []) == "IVF_PQ")
        #expect(Dataset.uuidString(Array(0 ..< 16)) == "00010203-0405-0607-0809-0a0b0c0d0e0f")
    }

    @Test func indicesFromTheIndexSection() async throws {
        var idx = Lance_Table_IndexMetadata()
        var uuid = Lance_Table_UUID()
        uuid.uuid = Data((0 ..< 16).map { UInt8($0 * 16) })
        idx.uuid = uuid
        idx.name = "x_idx"
        idx.fields = [2]
        idx.datasetVersion = 1
        var any = Google_Protobuf_Any()
        any.typeURL = "/lance.table.BTreeIndexDetails"
        idx.indexDetails = any
        let fields = [Synth.field(0, "id", "int64"), Synth.field(1, "s", "struct"), Synth.field(2, "x", "int32", parent: 1)]
        let store = MemoryStore()
        try await store.put("_versions/" + Synth.v2Name(1),
                            Synth.manifestFile(Synth.manifest(version: 1, fields: fields), indices: [idx]))
        let ds = try await Dataset.open(store: store)
        let info = try ds.indices()
        #expect(info.count == 1)
        #expect(info.first?.name == "x_idx")
        #expect(info.first?.type == "BTree")
        #expect(info.first?.fields == ["s.x"])
        #expect(info.first?.uuid == "00102030-4050-6070-8090-a0b0c0d0e0f0")
    }
}
