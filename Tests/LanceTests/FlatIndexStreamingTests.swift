import Foundation
import LanceArrow
import LanceCore
import LanceFile
import LanceIO
import LanceKernels
import LanceProto
import Testing
@testable import Lance

/// IVF_FLAT builds gather the vectors grouped by partition in passes of at most `flatGroupBytes`: a tiny
/// budget (many passes, pages straddling groups) must give the same files as one pass.
@Suite struct FlatIndexStreamingTests {
    /// Clustered vectors with some null rows, written in several fragments.
    static func makeDataset(rows: Int, dim: Int, nullEvery: Int, rowsPerFile: Int, double: Bool = false) async throws -> (Dataset, URL, [[Float]?]) {
        var g = SeededGenerator(seed: 42)
        func unit() -> Float { Float(g.next() % 10_000) / 10_000 }
        let centers = (0 ..< 5).map { _ in (0 ..< dim).map { _ in unit() * 20 - 10 } }
        var vectors: [[Float]?] = []
        for i in 0 ..< rows {
            let c = centers[Int(g.next() % 5)]
            let v = c.map { $0 + unit() - 0.5 }
            vectors.append(i % nullEvery == 3 ? nil : v)
        }
        let flat = vectors.flatMap { $0 ?? [Float](repeating: 0, count: dim) }
        let items: ArrayData = double ? .primitive(.float64, values: flat.map(Double.init)) : .primitive(.float32, values: flat)
        let vec = ArrayData.fixedSizeList(items, size: dim, validity: vectors.map { $0 != nil })
        let ids = ArrayData.primitive(.int64, values: (0 ..< Int64(rows)).map { $0 })
        let batch = try RecordBatch(schema: Schema([Field("id", .int64), Field("vec", vec.type)]), columns: [ids, vec])
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flatstream-\(UUID().uuidString)")
        let ds = try await Dataset.create(at: dir.path, schema: batch.schema, batches: [batch],
                                          options: WriteOptions(maxRowsPerFile: rowsPerFile))
        return (ds, dir, vectors)
    }

    struct Files {
        let aux: LanceFileReader
        let index: LanceFileReader
        let auxBytes: [UInt8]
    }

    static func files(_ ds: Dataset) async throws -> Files {
        let info = try #require(try ds.listIndices().first)
        let dir = "_indices/\(info.uuid)/"
        let aux = try await LanceFileReader.open(try await ds.store.open(dir + "auxiliary.idx"))
        let index = try await LanceFileReader.open(try await ds.store.open(dir + "index.idx"))
        let size = try #require(try await ds.store.size(dir + "auxiliary.idx"))
        let bytes = try await aux.read(offset: 0, size: UInt64(size)).toArray(of: UInt8.self)
        return Files(aux: aux, index: index, auxBytes: bytes)
    }

    static func columns(_ r: LanceFileReader) async throws -> [ArrayData] {
        let schema = try r.schema()
        let map = try r.defaultColumnMap()
        var out: [ArrayData] = []
        for f in schema.fields { out.append(try await r.read(f, columns: map, rows: 0 ..< Int(r.rowCount))) }
        return out
    }

    /// Builds the index twice (tiny and unbounded budget), checks the files are the same and hold what
    /// an IVF_FLAT index must: every non-null vector once, grouped by its nearest centroid, in row order
    /// within a partition.
    func check(rows: Int, dim: Int, metric: IndexMetric, partitions: Int, tinyRows: Int, rowsPerFile: Int,
               expectedPages: Int, double: Bool = false) async throws {
        // Two copies of the same data: one index each.
        let (ds, dir, vectors) = try await Self.makeDataset(rows: rows, dim: dim, nullEvery: 29, rowsPerFile: rowsPerFile, double: double)
        defer { try? FileManager.default.removeItem(at: dir) }
        let (ds2, dir2, _) = try await Self.makeDataset(rows: rows, dim: dim, nullEvery: 29, rowsPerFile: rowsPerFile, double: double)
        defer { try? FileManager.default.removeItem(at: dir2) }
        #expect(ds.fragments.count > 1)
        let opts = VectorIndexOptions(type: .ivfFlat, metric: metric, numPartitions: partitions, maxIterations: 4, seed: 9)
        let whole = try await ds.createIndex(column: "vec", options: opts, flatGroupBytes: Int.max / 2)
        let tiny = try await ds2.createIndex(column: "vec", options: opts, flatGroupBytes: tinyRows * dim * 4)
        let a = try await Self.files(whole), b = try await Self.files(tiny)

        // Same files: data pages byte for byte, page tables, global buffers, metadata, size.
        #expect(a.auxBytes.count == b.auxBytes.count)
        let dataEnd = Int(a.aux.globalBuffers[0].offset)
        #expect(a.auxBytes[..<dataEnd] == b.auxBytes[..<dataEnd])
        #expect(a.aux.columns == b.aux.columns)
        #expect(a.aux.columns[1].pages.count == expectedPages)
        for i in 1 ..< a.aux.globalBuffers.count {
            #expect(try await a.aux.globalBuffer(i).toArray(of: UInt8.self) == (try await b.aux.globalBuffer(i).toArray(of: UInt8.self)))
        }
        #expect(try a.aux.schema().metadata == (try b.aux.schema().metadata))
        #expect(try await a.index.globalBuffer(1).toArray(of: UInt8.self) == (try await b.index.globalBuffer(1).toArray(of: UInt8.self)))

        // Contents.
        let ivfAux = try await b.aux.globalBuffer(1).withUnsafeBytes { try Lance_Index_Pb_IVF(serializedBytes: Array($0)) }
        let ivf = try await b.index.globalBuffer(1).withUnsafeBytes { try Lance_Index_Pb_IVF(serializedBytes: Array($0)) }
        let centroids = ivf.centroidsTensor.data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        let table = CentroidTable(centroids: centroids, k: partitions, dim: dim, metric: metric.clusterMetric)
        let cols = try await Self.columns(b.aux)
        let ids = cols[0].buffers[0].toArray(of: UInt64.self)
        let flat = cols[1].children[0].buffers[0].toArray(of: Float.self)
        let live = vectors.indices.filter { vectors[$0] != nil }
        // Row ids are row addresses (fragment << 32 | offset); the fragments hold `rowsPerFile` rows each.
        func row(_ id: UInt64) -> Int { Int(id >> 32) * rowsPerFile + Int(id & 0xFFFF_FFFF) }
        #expect(ids.count == live.count)
        let sameRows = Set(ids.map(row)) == Set(live)
        #expect(sameRows)
        #expect(ivfAux.lengths.count == partitions)
        var mismatched = 0, misplaced = 0
        for part in 0 ..< partitions {
            let o = Int(ivfAux.offsets[part]), n = Int(ivfAux.lengths[part])
            let slice = Array(ids[o ..< o + n])
            #expect(slice == slice.sorted(), "partition \(part) keeps row order")
            for i in o ..< o + n {
                var v = vectors[row(ids[i])]!
                if metric == .cosine {
                    let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
                    v = v.map { $0 / norm }
                }
                let stored = Array(flat[i * dim ..< (i + 1) * dim])
                if zip(v, stored).contains(where: { abs($0 - $1) > 1e-6 }) { mismatched += 1 }
                if table.assign(stored).0 != [UInt32(part)] { misplaced += 1 }
            }
        }
        #expect(mismatched == 0)
        #expect(misplaced == 0)

        // Searching every partition gives the exact answer.
        for q in [0, 7, 100] {
            guard let query = vectors[q] else { continue }
            let viaIndex = try await tiny.search(query).metric(metric).nprobes(partitions).limit(10).select(["id"]).toBatch()
            let exact = try await tiny.search(query).metric(metric).bypassVectorIndex().limit(10).select(["id"]).toBatch()
            let got = (0 ..< viaIndex.count).map { viaIndex.column("id")!.value($0, as: Int64.self) }
            let want = (0 ..< exact.count).map { exact.column("id")!.value($0, as: Int64.self) }
            #expect(got == want)
            let (_, plan) = try await tiny.search(query).nprobes(partitions).execute()
            #expect(plan.usedIndex == "vec_idx")
        }
    }

    @Test func tinyBudgetGivesTheSameIndexL2() async throws {
        try await check(rows: 2400, dim: 16, metric: .l2, partitions: 6, tinyRows: 97, rowsPerFile: 700, expectedPages: 1)
    }

    @Test func tinyBudgetGivesTheSameIndexCosine() async throws {
        try await check(rows: 1500, dim: 12, metric: .cosine, partitions: 4, tinyRows: 64, rowsPerFile: 600, expectedPages: 1)
    }

    /// float64 vectors are stored as float32.
    @Test func tinyBudgetGivesTheSameIndexFloat64Cosine() async throws {
        try await check(rows: 900, dim: 8, metric: .cosine, partitions: 3, tinyRows: 50, rowsPerFile: 400, expectedPages: 1,
                        double: true)
    }

    /// More than one 8 MiB page of vectors: pages straddle the gathering groups.
    @Test func tinyBudgetWithSeveralPages() async throws {
        try await check(rows: 9000, dim: 256, metric: .l2, partitions: 3, tinyRows: 1000, rowsPerFile: 4000, expectedPages: 2)
    }

    @Test func writePageKeepsFieldsInStep() async throws {
        let schema = Schema([Field("a", .uint64), Field("b", .float32)])
        let sink = MemoryFileSink()
        let w = try LanceFileWriter(object: sink, schema: LanceSchema(assigningIdsTo: schema), version: .v2_2)
        try await w.writePage(field: 0, .primitive(.uint64, values: [UInt64(1), 2, 3]))
        try await w.writePage(field: 1, .primitive(.float32, values: [Float(1), 2]))
        await #expect(throws: LanceError.self) { _ = try await w.finish() }

        let sink2 = MemoryFileSink()
        let w2 = try LanceFileWriter(object: sink2, schema: LanceSchema(assigningIdsTo: schema), version: .v2_2)
        try await w2.writePage(field: 1, .primitive(.float32, values: [Float(1), 2]))
        try await w2.writePage(field: 1, .primitive(.float32, values: [Float(3)]))
        try await w2.writePage(field: 0, .primitive(.uint64, values: [UInt64(1), 2, 3]))
        await #expect(throws: LanceError.self) { try await w2.writePage(field: 2, .primitive(.float32, values: [Float(3)])) }
        let summary = try await w2.finish()
        #expect(summary.rows == 3)
        let store = MemoryStore()
        try await store.put("f.lance", await sink2.bytes)
        let r = try await LanceFileReader.open(try await store.open("f.lance"))
        #expect(r.columns[1].pages.count == 2)
        let cols = try await Self.columns(r)
        #expect(cols[0].buffers[0].toArray(of: UInt64.self) == [1, 2, 3])
        #expect(cols[1].buffers[0].toArray(of: Float.self) == [1, 2, 3])
    }
}
