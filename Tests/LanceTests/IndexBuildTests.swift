import Foundation
import LanceArrow
import LanceCore
import LanceFile
import LanceIO
import LanceKernels
import LanceProto
import Testing
@testable import Lance

/// Index builds on small datasets written by Lancelet itself (pylance reading them is checked by
/// ConformanceTests/IndexBuildConformanceTests).
@Suite struct IndexBuildTests {
    static let dim = 8

    static func vectors(_ n: Int, seed: UInt64) -> [Float] {
        var g = SeededGenerator(seed: seed)
        // 6 clusters, so that partitions mean something.
        let centers = (0 ..< 6 * dim).map { _ in Float(g.next() % 2000) / 100 - 10 }
        return (0 ..< n).flatMap { i -> [Float] in
            let c = Int(g.next() % 6)
            return (0 ..< dim).map { d in centers[c * dim + d] + Float(g.next() % 1000) / 1000 - 0.5 + Float(i % 2) * 0 }
        }
    }

    static func batch(_ n: Int, seed: UInt64, firstId: Int64 = 0) throws -> RecordBatch {
        let vec = ArrayData.fixedSizeList(.primitive(.float32, values: vectors(n, seed: seed)), size: dim)
        let ids = ArrayData.primitive(.int64, values: (0 ..< Int64(n)).map { $0 + firstId })
        let names = ArrayData.strings((0 ..< n).map { "r\($0)" })
        return try RecordBatch(schema: Schema([Field("id", .int64), Field("vec", vec.type), Field("name", .utf8)]),
                               columns: [ids, vec, names])
    }

    static func makeDataset(rows: Int = 1100) async throws -> (Dataset, URL) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ivfbuild-\(UUID().uuidString)")
        let b = try batch(rows, seed: 1)
        let ds = try await Dataset.create(at: dir.path, schema: b.schema, batches: [b])
        return (ds, dir)
    }

    /// Reads an index file of the dataset.
    static func reader(_ ds: Dataset, _ info: IndexInfo, _ file: String) async throws -> LanceFileReader {
        try await LanceFileReader.open(try await ds.store.open("_indices/\(info.uuid)/\(file)"))
    }

    /// Every column of an index file (their fields are all leaves: field id i is column i).
    static func columns(_ r: LanceFileReader) async throws -> [ArrayData] {
        let schema = try r.schema()
        var map: [Int32: Int] = [:]
        for (i, f) in schema.allFields.enumerated() { map[f.id] = i }
        var out: [ArrayData] = []
        for f in schema.fields { out.append(try await r.read(f, columns: map, rows: 0 ..< Int(r.rowCount))) }
        return out
    }

    @Test func ivfPQFilesAndManifest() async throws {
        let (ds, dir) = try await IndexBuildTests.makeDataset()
        defer { try? FileManager.default.removeItem(at: dir) }
        let built = try await ds.createIndex(column: "vec", options: VectorIndexOptions(
            numPartitions: 4, numSubVectors: 2, maxIterations: 5, seed: 7))
        #expect(built.version == ds.version + 1)
        let reopened = try await Dataset.open(dir.path)
        let list = try reopened.listIndices()
        #expect(list.count == 1)
        let info = try #require(list.first)
        #expect(info.name == "vec_idx")
        #expect(info.type == "IVF_PQ")
        #expect(info.fields == ["vec"])
        #expect(info.datasetVersion == ds.version)
        #expect(info.fragmentIds == ds.fragments.map { UInt32($0.id) })

        // index.idx: no rows, IVF centroids 4 × 8, lance:index metadata.
        let index = try await IndexBuildTests.reader(reopened, info, "index.idx")
        let imeta = try index.schema().metadata
        #expect(imeta["lance:index"] == "{\"type\":\"IVF_PQ\",\"distance_type\":\"l2\"}")
        #expect(index.rowCount == 0)
        let ivf = try await index.globalBuffer(Int(imeta["lance:ivf"]!)!).withUnsafeBytes {
            try Lance_Index_Pb_IVF(serializedBytes: Array($0))
        }
        #expect(ivf.centroidsTensor.shape == [4, UInt32(IndexBuildTests.dim)])
        #expect(ivf.centroidsTensor.data.count == 4 * IndexBuildTests.dim * 4)

        // auxiliary.idx: every row once, grouped by partition, codes transposed per partition.
        let aux = try await IndexBuildTests.reader(reopened, info, "auxiliary.idx")
        let ameta = try aux.schema().metadata
        #expect(ameta["distance_type"] == "l2")
        #expect(aux.rowCount == 1100)
        let auxIVF = try await aux.globalBuffer(1).withUnsafeBytes { try Lance_Index_Pb_IVF(serializedBytes: Array($0)) }
        #expect(auxIVF.lengths.reduce(0) { $0 + Int($1) } == 1100)
        #expect(auxIVF.offsets.first == 0)
        let codebook = try await aux.globalBuffer(2).withUnsafeBytes { try Lance_Index_Pb_Tensor(serializedBytes: Array($0)) }
        #expect(codebook.shape == [256, UInt32(IndexBuildTests.dim)])
        let cols = try await IndexBuildTests.columns(aux)
        let rowIds = cols[0].buffers[0].toArray(of: UInt64.self)
        #expect(Set(rowIds) == Set((0 ..< 1100).map { UInt64($0) }))

        // Re-encode partition 0's first row with the stored centroids and codebook.
        let centroids = ivf.centroidsTensor.data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        let cb = codebook.data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        let pq = ProductQuantizer(dim: IndexBuildTests.dim, numSubVectors: 2, codebook: cb)
        let all = IndexBuildTests.vectors(1100, seed: 1)
        let n0 = Int(auxIVF.lengths[0])
        #expect(n0 > 0)
        let r = Int(rowIds[0])
        let v = Array(all[r * 8 ..< r * 8 + 8])
        let table = CentroidTable(centroids: centroids, k: 4, dim: 8, metric: .l2)
        let (p, _) = table.assign(v)
        #expect(p == [0])
        let resid = (0 ..< 8).map { v[$0] - centroids[$0] }
        let expected = pq.encode(resid)
        let codes = cols[1].children[0].buffers[0].toArray(of: UInt8.self)
        // Transposed: sub-vector s of row i of partition 0 is at s * n0 + i.
        #expect([codes[0], codes[n0]] == expected)

        let stats = try await reopened.indexStats("vec_idx")
        #expect(stats.numIndexedRows == 1100)
        #expect(stats.numUnindexedRows == 0)
        #expect(stats.numIndexedFragments == 1)
        #expect(stats.metric == "l2")
        #expect(stats.partitionSizes?.reduce(0, +) == 1100)
    }

    @Test func ivfFlatStoresTheVectors() async throws {
        let (ds, dir) = try await IndexBuildTests.makeDataset(rows: 300)
        defer { try? FileManager.default.removeItem(at: dir) }
        let built = try await ds.createIndex(column: "vec", options: VectorIndexOptions(
            type: .ivfFlat, metric: .dot, numPartitions: 3, maxIterations: 3, seed: 1))
        let info = try #require(try built.listIndices().first)
        #expect(info.type == "IVF_FLAT")
        let aux = try await IndexBuildTests.reader(built, info, "auxiliary.idx")
        #expect(try aux.schema().metadata["distance_type"] == "dot")
        let cols = try await IndexBuildTests.columns(aux)
        let ids = cols[0].buffers[0].toArray(of: UInt64.self)
        let flat = cols[1].children[0].buffers[0].toArray(of: Float.self)
        let all = IndexBuildTests.vectors(300, seed: 1)
        for i in [0, 17, 299] {
            let r = Int(ids[i])
            #expect(Array(flat[i * 8 ..< i * 8 + 8]) == Array(all[r * 8 ..< r * 8 + 8]))
        }
    }

    @Test func appendedRowsAreUnindexedAndReplaceRebuilds() async throws {
        let (ds, dir) = try await IndexBuildTests.makeDataset(rows: 300)
        defer { try? FileManager.default.removeItem(at: dir) }
        let opts = VectorIndexOptions(metric: .cosine, numPartitions: 2, numSubVectors: 4, maxIterations: 2, seed: 3)
        let v2 = try await ds.createIndex(column: "vec", options: opts)
        let v3 = try await v2.append([try IndexBuildTests.batch(40, seed: 9, firstId: 300)])
        let st = try await v3.indexStats("vec_idx")
        #expect(st.numIndexedRows == 300)
        #expect(st.numUnindexedRows == 40)
        #expect(st.numUnindexedFragments == 1)
        #expect(st.metric == "cosine")
        await #expect(throws: LanceError.self) { _ = try await v3.createIndex(column: "vec", options: opts) }
        var again = opts
        again.replace = true
        let v4 = try await v3.createIndex(column: "vec", options: again)
        let list = try v4.listIndices()
        #expect(list.count == 1)
        #expect(list[0].uuid != (try v3.listIndices()[0].uuid))
        let st4 = try await v4.indexStats("vec_idx")
        #expect(st4.numIndexedRows == 340)
        #expect(st4.numUnindexedRows == 0)
    }

    @Test func badRequestsAreErrors() async throws {
        let (ds, dir) = try await IndexBuildTests.makeDataset(rows: 100)
        defer { try? FileManager.default.removeItem(at: dir) }
        func code(_ body: () async throws -> Void) async -> LanceError.Code? {
            do { try await body() } catch let e as LanceError { return e.code } catch { return nil }
            return nil
        }
        #expect(await code { _ = try await ds.createIndex(column: "nope", type: .ivfPQ) } == .invalidInput)
        #expect(await code { _ = try await ds.createIndex(column: "name", type: .ivfPQ) } == .invalidInput)
        #expect(await code { _ = try await ds.createIndex(column: "vec", type: .ivfPQ, numPartitions: 2, numSubVectors: 3) }
            == .invalidInput)
        #expect(await code { _ = try await ds.createIndex(column: "vec", type: .ivfPQ, numPartitions: 500) } == .invalidInput)
        // PQ needs 256 training vectors.
        #expect(await code { _ = try await ds.createIndex(column: "vec", type: .ivfPQ, numPartitions: 2) } == .invalidInput)
        #expect(await code { _ = try await ds.indexStats("missing") } == .notFound)
        #expect(try ds.listIndices().isEmpty)
    }
}
